// Password reset end to end, as a user does it: the SDK asks for a reset, the server mails a link (our
// server writes mails to an outbox folder, E2E_OUTBOX_DIR), the link leads to the HTML form, the form
// sets the new password, and the SDK logs in with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Parse, RUN_ID } from './lib.js';

const OUTBOX = process.env.E2E_OUTBOX_DIR;
const skip = OUTBOX ? false : 'needs E2E_OUTBOX_DIR (the server writes its mails there)';

function mailTo(addr) {
  const files = fs.readdirSync(OUTBOX).sort();
  for (let i = files.length - 1; i >= 0; i--) {
    const m = JSON.parse(fs.readFileSync(path.join(OUTBOX, files[i]), 'utf8'));
    if (m.to === addr) return m;
  }
  throw new Error(`no mail to ${addr} in ${OUTBOX}`);
}

test('password reset through the emailed link and the HTML form', { skip }, async () => {
  const username = `reset_${RUN_ID}`;
  const email = `${username}@example.com`;
  const user = new Parse.User();
  await user.signUp({ username, password: 'old-password', email });
  await Parse.User.logOut();

  await Parse.User.requestPasswordReset(email);
  const mail = mailTo(email);
  assert.match(mail.subject, /Password Reset/);
  const link = mail.text.match(/https?:\/\/\S+/)[0];

  // The link redirects to the form page.
  let res = await fetch(link, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const formURL = new URL(res.headers.get('location'), link);
  assert.match(formURL.pathname, /\/apps\/choose_password$/);
  res = await fetch(formURL);
  assert.equal(res.status, 200);
  const page = await res.text();
  assert.match(page, /<form/);
  assert.match(page, /E2E App/);
  const action = new URL(page.match(/action="([^"]+)"/)[1].replace(/&amp;/g, '&'), formURL);
  const token = page.match(/name="token" value="([^"]+)"/)[1];

  // Submitting the form sets the new password.
  res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, username, new_password: 'new-password' }),
  });
  assert.equal(res.status, 302);
  assert.match(res.headers.get('location'), /password_reset_success\.html/);

  const again = await Parse.User.logIn(username, 'new-password');
  assert.equal(again.id, user.id);
  await Parse.User.logOut();
  await assert.rejects(Parse.User.logIn(username, 'old-password'), e => e.code === Parse.Error.OBJECT_NOT_FOUND);

  // The link is single-use.
  res = await fetch(link, { redirect: 'manual' });
  assert.match(res.headers.get('location'), /invalid_link\.html/);
});
