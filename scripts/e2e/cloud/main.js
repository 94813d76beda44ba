// The worked example of shared/app (Go) in JavaScript, for the reference Parse Server: with it,
// test/cloud.test.js runs against both servers (see ../README.md).
Parse.Cloud.define('hello', req => {
  let g = `Hello, ${req.params.name}!`;
  if (req.user) g += ` You are logged in as ${req.user.get('username')}.`;
  return g;
}, { fields: ['name'] });
Parse.Cloud.beforeSave('ExampleReview', req => {
  const o = req.object;
  const stars = o.get('stars') || 0;
  if (stars < 1 || stars > 5) throw new Parse.Error(142, 'A review needs 1 to 5 stars.');
  const book = o.get('book');
  if (!book || book.className !== 'ExampleBook') throw new Parse.Error(142, 'A review needs a book.');
  if (o.dirty('text')) o.set('text', (o.get('text') || '').trim());
});
Parse.Cloud.afterSave('ExampleReview', async req => {
  if (req.original) return;
  const book = req.object.get('book');
  book.increment('reviewCount', 1);
  await book.save(null, { useMasterKey: true });
});
Parse.Cloud.job('exampleStats', async req => {
  const books = await new Parse.Query('ExampleBook').count({ useMasterKey: true });
  req.message(`${books} books counted`);
  const reviews = await new Parse.Query('ExampleReview').count({ useMasterKey: true });
  return `${books} books, ${reviews} reviews`;
});
