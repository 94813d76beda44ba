package query

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/danish"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/finnish"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/hungarian"
	"github.com/blevesearch/snowballstem/italian"
	"github.com/blevesearch/snowballstem/norwegian"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/romanian"
	"github.com/blevesearch/snowballstem/russian"
	"github.com/blevesearch/snowballstem/spanish"
	"github.com/blevesearch/snowballstem/swedish"
	"github.com/blevesearch/snowballstem/turkish"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/unicode/norm"

	"github.com/parselambda/parselambda/shared/parse"
)

// Full-text search as MongoDB's $text does it on a version 3 text index, for databases without one:
// the text is split at Unicode delimiters, lower-cased, stop words of the language dropped, words
// stemmed with the language's Snowball stemmer and their diacritics removed. A document matches when
// it holds one of the search terms (and every "phrase", and none of the -negated terms or phrases);
// its score is MongoDB's textScore.

type textLang struct {
	name string
	stem func(*snowballstem.Env) bool
	stop func() map[string]bool // built on first use: most servers never run a $text query
}

var textLangs = map[string]*textLang{}

func init() {
	add := func(name, code string, stem func(*snowballstem.Env) bool) {
		l := &textLang{name: name, stem: stem, stop: sync.OnceValue(func() map[string]bool { return stopWords(name) })}
		textLangs[name] = l
		if code != "" {
			textLangs[code] = l
		}
	}
	add("danish", "da", danish.Stem)
	add("dutch", "nl", dutch.Stem)
	add("english", "en", english.Stem)
	add("finnish", "fi", finnish.Stem)
	add("french", "fr", french.Stem)
	add("german", "de", german.Stem)
	add("hungarian", "hu", hungarian.Stem)
	add("italian", "it", italian.Stem)
	add("norwegian", "nb", norwegian.Stem)
	add("portuguese", "pt", portuguese.Stem)
	add("romanian", "ro", romanian.Stem)
	add("russian", "ru", russian.Stem)
	add("spanish", "es", spanish.Stem)
	add("swedish", "sv", swedish.Stem)
	add("turkish", "tr", turkish.Stem)
	add("none", "", nil)
}

// TextLanguage returns the canonical name of a $text language ("" when MongoDB does not know it).
func TextLanguage(s string) string {
	if l, ok := textLangs[strings.ToLower(s)]; ok {
		return l.name
	}
	return ""
}

func (l *textLang) stemWord(w string) string {
	if l.stem == nil {
		return w
	}
	env := snowballstem.NewEnv(w)
	l.stem(env)
	return env.Current()
}

// isTextDelimiter is MongoDB's delimiter set: White_Space, Dash, Hyphen, Quotation_Mark,
// Terminal_Punctuation, Pattern_Syntax and Sentence_Terminal code points; in English the apostrophe
// is part of words.
func isTextDelimiter(r rune, english bool) bool {
	if r == '\'' {
		return !english
	}
	return unicode.In(r, unicode.White_Space, unicode.Dash, unicode.Hyphen, unicode.Quotation_Mark, unicode.Terminal_Punctuation, unicode.Pattern_Syntax, unicode.Sentence_Terminal)
}

// foldCase lower-cases as Unicode simple case folding does (Turkish maps I to dotless ı).
func foldCase(s string, turkish bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case turkish && r == 'I':
			r = 'ı'
		case turkish && r == 'İ':
			r = 'i'
		case r == 'ς':
			r = 'σ'
		case r == 'ſ':
			r = 's'
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

var diacriticMap sync.Map // rune → rune (-1: remove)

// stripRune is MongoDB's diacritic removal of one code point: decompose, drop the Diacritic marks,
// recompose, and keep the result when it is one code point.
func stripRune(r rune) rune {
	if r < 0x80 {
		if r == '^' || r == '`' {
			return -1
		}
		return r
	}
	if v, ok := diacriticMap.Load(r); ok {
		return v.(rune)
	}
	out := r
	if unicode.Is(unicode.Diacritic, r) {
		out = -1
	} else {
		d := norm.NFD.String(string(r))
		var b strings.Builder
		for _, x := range d {
			if !unicode.Is(unicode.Diacritic, x) {
				b.WriteRune(x)
			}
		}
		c := norm.NFC.String(b.String())
		if c != string(r) && utf8.RuneCountInString(c) == 1 {
			out, _ = utf8.DecodeRuneInString(c)
		}
	}
	diacriticMap.Store(r, out)
	return out
}

func stripDiacritics(s string) string {
	var b strings.Builder
	for _, r := range s {
		if x := stripRune(r); x >= 0 {
			b.WriteRune(x)
		}
	}
	return b.String()
}

type tokenOpts struct {
	filterStop, caseSensitive, diacriticSensitive bool
}

// tokens splits text into MongoDB's terms for lang.
func (l *textLang) tokens(text string, o tokenOpts) []string {
	english := l.name == "english"
	turkish := l.name == "turkish"
	var out []string
	words := strings.FieldsFunc(text, func(r rune) bool { return isTextDelimiter(r, english) })
	for _, w := range words {
		lower := foldCase(w, turkish)
		if o.filterStop && l.stop()[lower] {
			continue
		}
		t := lower
		if o.caseSensitive {
			t = w
		}
		t = l.stemWord(t)
		if !o.diacriticSensitive {
			t = stripDiacritics(t)
		}
		out = append(out, t)
	}
	return out
}

// TextField is a field of the text index with its weight.
type TextField struct {
	Path   string
	Weight float64
}

// TextQuery is a parsed $text query with the text index it runs on.
type TextQuery struct {
	Search             string
	Language           string // of the query; "" = the index's default
	CaseSensitive      bool
	DiacriticSensitive bool
	Fields             []TextField // "$**" = every string field
	DefaultLanguage    string      // the index's (english)
	LanguageOverride   string      // the document field naming a document's language ("language")

	qlang                           *textLang
	bounds                          map[string]bool // folded positive terms (the index lookup)
	positive, negated               map[string]bool
	positivePhrases, negatedPhrases []string
}

// NewTextQuery parses a $text search.
func NewTextQuery(search, language string, caseSensitive, diacriticSensitive bool, fields []TextField) (*TextQuery, error) {
	q := &TextQuery{Search: search, Language: language, CaseSensitive: caseSensitive, DiacriticSensitive: diacriticSensitive, Fields: fields, DefaultLanguage: "english", LanguageOverride: "language"}
	lang := language
	if lang == "" {
		lang = q.DefaultLanguage
	}
	l, ok := textLangs[strings.ToLower(lang)]
	if !ok {
		return nil, parse.Errorf(parse.InvalidQuery, "unsupported language: %q for text index version 3", language)
	}
	q.qlang = l
	q.parse()
	return q, nil
}

// parse reads terms, "phrases" and -negations as MongoDB's query parser does.
func (q *TextQuery) parse() {
	var pos, neg strings.Builder
	inNeg, inPhrase := false, false
	quote := 0
	s := q.Search
	i := 0
	isWS := func(c byte) bool { return c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ' }
	skipWS := func() bool {
		st := i
		for i < len(s) && isWS(s[i]) {
			i++
		}
		return i > st
	}
	skipWS()
	prevWS := true
	for i < len(s) {
		start := i
		c := s[i]
		i++
		if c != '-' && c != '"' {
			for i < len(s) && !isWS(s[i]) && s[i] != '-' && s[i] != '"' {
				i++
			}
			text := s[start:i]
			if !(inPhrase && inNeg) {
				if inNeg && prevWS {
					inNeg = false
				}
				if inNeg {
					neg.WriteString(text + " ")
				} else {
					pos.WriteString(text + " ")
				}
			}
		} else if c == '-' {
			if !inPhrase && prevWS {
				inNeg = true
			}
		} else { // '"'
			if inPhrase {
				phrase := s[quote+1 : start]
				if inNeg {
					q.negatedPhrases = append(q.negatedPhrases, phrase)
				} else {
					q.positivePhrases = append(q.positivePhrases, phrase)
				}
				inPhrase = false
			} else {
				inPhrase = true
				if inNeg && prevWS {
					inNeg = false
				}
				quote = start
			}
		}
		prevWS = skipWS()
	}
	q.bounds, q.positive, q.negated = map[string]bool{}, map[string]bool{}, map[string]bool{}
	sensitive := q.CaseSensitive || q.DiacriticSensitive
	for _, t := range q.qlang.tokens(pos.String(), tokenOpts{filterStop: true}) {
		q.bounds[t] = true
		if !sensitive {
			q.positive[t] = true
		}
	}
	if !sensitive {
		for _, t := range q.qlang.tokens(neg.String(), tokenOpts{filterStop: true}) {
			q.negated[t] = true
		}
		return
	}
	o := tokenOpts{filterStop: true, caseSensitive: q.CaseSensitive, diacriticSensitive: q.DiacriticSensitive}
	for _, t := range q.qlang.tokens(pos.String(), o) {
		q.positive[t] = true
	}
	for _, t := range q.qlang.tokens(neg.String(), o) {
		q.negated[t] = true
	}
}

type textValue struct {
	text   string
	weight float64
	lang   *textLang
}

// values are the indexed strings of doc with their weight and language.
func (q *TextQuery) values(doc bson.M) []textValue {
	lang := textLangs[q.DefaultLanguage]
	if lang == nil {
		lang = textLangs["english"]
	}
	if s, ok := doc[q.LanguageOverride].(string); ok {
		if l, ok := textLangs[strings.ToLower(s)]; ok {
			lang = l
		}
	}
	var out []textValue
	var collect func(v any, w float64)
	collect = func(v any, w float64) {
		switch t := v.(type) {
		case string:
			out = append(out, textValue{text: t, weight: w, lang: lang})
		case bson.A, []any:
			for _, x := range asA(t) {
				collect(x, w)
			}
		case bson.D, bson.M, map[string]any:
			for _, e := range asD(t) {
				collect(e.Value, w)
			}
		}
	}
	for _, f := range q.Fields {
		if f.Path == "$**" {
			keys := make([]string, 0, len(doc))
			for k := range doc {
				if !strings.HasPrefix(k, "_") {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				collect(doc[k], f.Weight)
			}
			continue
		}
		vals, _ := pathValues(doc, f.Path)
		for _, v := range vals {
			switch t := v.(type) {
			case string:
				out = append(out, textValue{text: t, weight: f.Weight, lang: lang})
			case bson.A, []any:
				for _, x := range asA(t) {
					if s, ok := x.(string); ok {
						out = append(out, textValue{text: s, weight: f.Weight, lang: lang})
					}
				}
			}
		}
	}
	return out
}

// Matches says whether doc matches the query.
func (q *TextQuery) Matches(doc bson.M) bool {
	if len(q.bounds) == 0 {
		return false
	}
	vals := q.values(doc)
	hit := false // the index lookup: a folded term of the document is a search term
	for _, v := range vals {
		for _, t := range v.lang.tokens(v.text, tokenOpts{filterStop: true}) {
			if q.bounds[t] {
				hit = true
				break
			}
		}
		if hit {
			break
		}
	}
	if !hit {
		return false
	}
	o := tokenOpts{caseSensitive: q.CaseSensitive, diacriticSensitive: q.DiacriticSensitive}
	if q.CaseSensitive || q.DiacriticSensitive {
		found := false
		for _, v := range vals {
			for _, t := range v.lang.tokens(v.text, o) {
				if q.positive[t] {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(q.negated) > 0 {
		for _, v := range vals {
			for _, t := range v.lang.tokens(v.text, o) {
				if q.negated[t] {
					return false
				}
			}
		}
	}
	for _, ph := range q.positivePhrases {
		if !q.phraseIn(ph, vals) {
			return false
		}
	}
	for _, ph := range q.negatedPhrases {
		if q.phraseIn(ph, vals) {
			return false
		}
	}
	return true
}

func (q *TextQuery) phraseIn(phrase string, vals []textValue) bool {
	norm := func(s string, l *textLang) string {
		if !q.CaseSensitive {
			s = foldCase(s, l.name == "turkish")
		}
		if !q.DiacriticSensitive {
			s = stripDiacritics(s)
		}
		return s
	}
	for _, v := range vals {
		if strings.Contains(norm(v.text, v.lang), norm(phrase, v.lang)) {
			return true
		}
	}
	return false
}

// Score is MongoDB's textScore of doc for the query: for each search term, the weighted frequency of
// its stem in each indexed string, damped for repeats and scaled by the string's length.
func (q *TextQuery) Score(doc bson.M) float64 {
	scores := map[string]float64{}
	for _, v := range q.values(doc) {
		toks := v.lang.tokens(v.text, tokenOpts{filterStop: true})
		if len(toks) == 0 {
			continue
		}
		type acc struct{ count, freq, exp float64 }
		terms := map[string]*acc{}
		for _, t := range toks {
			a := terms[t]
			if a == nil {
				a = &acc{}
				terms[t] = a
			}
			if a.exp == 0 {
				a.exp = 1
			} else {
				a.exp *= 2
			}
			a.count++
			a.freq += 1 / a.exp
		}
		for t, a := range terms {
			coeff := 0.5*a.count/float64(len(toks)) + 0.5
			adj := 1.0
			if len(v.text) == len(t) && strings.EqualFold(v.text, t) {
				adj += 0.1
			}
			scores[t] += v.weight * a.freq * coeff * adj
		}
	}
	total := 0.0
	for t := range q.bounds {
		total += scores[t]
	}
	return total
}

// textFields are the fields of the class's text index (nil when it has none).
func textIndexFields(indexes map[string]bson.D) (string, []TextField) {
	names := make([]string, 0, len(indexes))
	for n := range indexes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var fs []TextField
		for _, e := range indexes[n] {
			if e.Value == "text" {
				fs = append(fs, TextField{Path: e.Key, Weight: 1})
			}
		}
		if len(fs) > 0 {
			return n, fs
		}
	}
	return "", nil
}

// textConstraint translates Parse's {key: {$text: {$search: {$term, $language, $caseSensitive,
// $diacriticSensitive}}}} with Parse Server's validation. MongoDB gets a top-level $text on the class's
// text index (which the caller creates on key when the class has none, as Parse Server does); other
// databases get an engine clause.
func (t *Translator) textConstraint(key string, arg any) ([]bson.D, error) {
	am, _ := arg.(map[string]any)
	search, ok := am["$search"].(map[string]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "bad $text: $search, should be object")
	}
	term, ok := search["$term"].(string)
	if !ok || term == "" {
		return nil, parse.NewError(parse.InvalidJSON, "bad $text: $term, should be string")
	}
	lang := ""
	if v, ok := search["$language"]; ok && truthy(v) {
		s, isStr := v.(string)
		if !isStr {
			return nil, parse.NewError(parse.InvalidJSON, "bad $text: $language, should be string")
		}
		lang = s
	}
	flag := func(name string) (bool, error) {
		v, ok := search[name]
		if !ok || !truthy(v) {
			return false, nil
		}
		b, isBool := v.(bool)
		if !isBool {
			return false, parse.Errorf(parse.InvalidJSON, "bad $text: %s, should be boolean", name)
		}
		return b, nil
	}
	cs, err := flag("$caseSensitive")
	if err != nil {
		return nil, err
	}
	ds, err := flag("$diacriticSensitive")
	if err != nil {
		return nil, err
	}
	if t.orDepth > 0 {
		return nil, parse.NewError(parse.InvalidQuery, "fullText ($text) cannot be used inside $or or $nor")
	}
	if t.texts++; t.texts > 1 {
		return nil, parse.NewError(parse.InvalidQuery, "Too many text expressions: a query can have one fullText constraint")
	}
	stored, _ := t.storedKey(key)
	name, fields := textIndexFields(t.Class.Indexes)
	if fields == nil {
		fields = []TextField{{Path: stored, Weight: 1}}
		t.TextIndex = stored
	} else {
		covers := false
		for _, f := range fields {
			if f.Path == stored || f.Path == "$**" {
				covers = true
			}
		}
		if !covers {
			return nil, parse.Errorf(parse.InvalidQuery, "The text index %s of class %s does not include %s (a class has one text index).", name, t.Class.Name, key)
		}
	}
	q, err := NewTextQuery(term, lang, cs, ds, fields)
	if err != nil {
		return nil, err
	}
	if t.Caps.Text {
		d := bson.D{{Key: "$search", Value: term}}
		if lang != "" {
			d = append(d, bson.E{Key: "$language", Value: lang})
		}
		if cs {
			d = append(d, bson.E{Key: "$caseSensitive", Value: true})
		}
		if ds {
			d = append(d, bson.E{Key: "$diacriticSensitive", Value: true})
		}
		return []bson.D{{{Key: "$text", Value: d}}}, nil
	}
	t.engineHits++
	return []bson.D{{{Key: "$text", Value: q}}}, nil
}

func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	}
	if f, ok := toF(v); ok {
		return f != 0
	}
	return true
}

// FindText returns the $text query of engine clauses (at the top or in a top-level $and).
func FindText(engine []bson.D) *TextQuery {
	var walk func(d bson.D) *TextQuery
	walk = func(d bson.D) *TextQuery {
		for _, e := range d {
			switch e.Key {
			case "$text":
				if q, ok := e.Value.(*TextQuery); ok {
					return q
				}
			case "$and":
				for _, s := range asA(e.Value) {
					if q := walk(asD(s)); q != nil {
						return q
					}
				}
			}
		}
		return nil
	}
	for _, d := range engine {
		if q := walk(d); q != nil {
			return q
		}
	}
	return nil
}
