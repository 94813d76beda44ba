// Package users is Parse's _User: sign-up, login (username or email), logout, the current user,
// loginAs, verifyPassword, password changes, anonymous users and the legacy session upgrade.
// Passwords are bcrypt (cost 10); hashes of the forms $2a$, $2b$ and $2y$ from migrated databases verify.
package users

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/authproviders"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/session"
	"github.com/parselambda/parselambda/shared/storage"
)

// Collection holds the users.
const Collection = "_User"

// BcryptCost is Parse Server's cost.
const BcryptCost = 10

// Service runs the user operations.
type Service struct {
	DB              *mongo.Database
	Objects         *objects.Controller
	Sessions        *session.Store
	EnableAnonymous bool
	// Providers validate authData by provider name ("anonymous" is added when EnableAnonymous).
	Providers map[string]authproviders.Provider
	Emails    *Emails
	Lockout   Lockout
	Policy    Policy

	// Hooks are Cloud Code's beforeLogin and afterLogin; nil runs none.
	Hooks LoginHooks

	indexOnce sync.Once
}

var emailRE = regexp.MustCompile(`^.+@.+$`)

// HashPassword hashes a password as Parse Server does. bcrypt reads only the first 72 bytes of a
// password, and Parse Server's bcrypt libraries cut a longer one there without a word, where Go's
// refuses it: the password is cut the same way, so a long password gives the hash Parse Server stores.
func HashPassword(pw string) (string, error) {
	b, err := bcrypt.GenerateFromPassword(bcryptInput(pw), BcryptCost)
	return string(b), err
}

// maxBcryptPassword is the part of a password bcrypt reads.
const maxBcryptPassword = 72

func bcryptInput(pw string) []byte {
	if len(pw) > maxBcryptPassword {
		pw = pw[:maxBcryptPassword]
	}
	return []byte(pw)
}

// CheckPassword verifies pw against a stored bcrypt hash ($2a$, $2b$ or $2y$).
func CheckPassword(hash, pw string) bool {
	if strings.HasPrefix(hash, "$2y$") { // PHP's spelling of the same algorithm
		hash = "$2a$" + hash[4:]
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(pw)) == nil
}

func (s *Service) ensureIndexes(ctx context.Context) {
	s.indexOnce.Do(func() {
		for _, k := range []string{"username", "email"} {
			_, _ = s.DB.Collection(Collection).Indexes().CreateOne(ctx, mongo.IndexModel{
				Keys:    bson.D{{Key: k, Value: 1}},
				Options: options.Index().SetName(k + "_1").SetUnique(true).SetSparse(true),
			})
		}
	})
}

// exists tells whether another user has field equal to value, case-insensitively as Parse Server checks.
func (s *Service) exists(ctx context.Context, field, value, exceptID string) (bool, error) {
	return s.anyOtherUser(ctx, identityFilter(field, value), exceptID)
}

// identityFilter matches field equal to value, case-insensitively.
func identityFilter(field, value string) bson.D {
	return bson.D{{Key: field, Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(value) + "$"}, {Key: "$options", Value: "i"}}}}
}

// anyOtherUser tells whether a user other than exceptID matches f, reading only its _id.
func (s *Service) anyOtherUser(ctx context.Context, f bson.D, exceptID string) (bool, error) {
	if exceptID != "" {
		f = append(f, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: exceptID}}})
	}
	err := s.DB.Collection(Collection).FindOne(ctx, f, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// checkIdentity validates username/email in a create (exceptID "") or update body, in Parse Server
// 7.3's order: a missing username, a taken username, a malformed email, a taken email. Username and
// email are checked for other users with one query.
func (s *Service) checkIdentity(ctx context.Context, body map[string]any, exceptID string) error {
	username, checkUsername := "", false
	if v, ok := body["username"]; ok {
		u, isStr := v.(string)
		if !isStr || u == "" {
			return parse.NewError(parse.UsernameMissing, "bad or missing username")
		}
		username, checkUsername = u, true
	}
	// usernameFree answers 202 when another user has the username.
	usernameFree := func() error {
		taken, err := s.exists(ctx, "username", username, exceptID)
		if err == nil && taken {
			err = parse.NewError(parse.UsernameTaken, "Account already exists for this username.")
		}
		return err
	}
	email, checkEmail := "", false
	if v, ok := body["email"]; ok && v != nil {
		if op, isMap := v.(map[string]any); !isMap || op["__op"] != "Delete" {
			e, isStr := v.(string)
			// An empty email is stored as it is (Parse Server skips its format check), once.
			if !isStr || e != "" && !emailRE.MatchString(e) {
				if checkUsername {
					if err := usernameFree(); err != nil {
						return err
					}
				}
				return parse.NewError(parse.InvalidEmailAddress, "Email address format is invalid.")
			}
			email, checkEmail = e, true
		}
	}
	emailTaken := parse.NewError(parse.EmailTaken, "Account already exists for this email address.")
	switch {
	case checkUsername && checkEmail:
		f := bson.D{{Key: "$or", Value: bson.A{identityFilter("username", username), identityFilter("email", email)}}}
		if found, err := s.anyOtherUser(ctx, f, exceptID); err != nil || !found {
			return err
		}
		// Taken (a rare answer): the database tells which, username first.
		if err := usernameFree(); err != nil {
			return err
		}
		return emailTaken
	case checkUsername:
		return usernameFree()
	case checkEmail:
		taken, err := s.exists(ctx, "email", email, exceptID)
		if err == nil && taken {
			err = emailTaken
		}
		return err
	}
	return nil
}

// SignUpResult is the answer of a sign-up: 201 with a new user, or 200 when authData logged in an
// existing user.
type SignUpResult struct {
	Status int
	Body   map[string]any
	ID     string
}

// SignUp creates a user and a session.
func (s *Service) SignUp(ctx context.Context, a *auth.Auth, body map[string]any) (*SignUpResult, error) {
	s.ensureIndexes(ctx)
	if body == nil {
		body = map[string]any{}
	}
	provider := "password"
	var extra bson.D
	generatedUsername := "" // Parse Server answers the username it made up for an authData sign-up
	if ad, ok := body["authData"]; ok && ad != nil {
		m, isMap := ad.(map[string]any)
		if !isMap || len(m) == 0 {
			return nil, parse.NewError(parse.UnsupportedService, "This authentication method is unsupported.")
		}
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			dm, _ := m[name].(map[string]any)
			if err := s.validateAuthData(ctx, name, dm); err != nil {
				return nil, err
			}
		}
		// An existing user with this authData logs in.
		for _, name := range names {
			id, _ := m[name].(map[string]any)["id"].(string)
			var u bson.M
			err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_auth_data_" + name + ".id", Value: id}}).Decode(&u)
			if err == nil {
				uid, _ := u["_id"].(string)
				sess, err := s.Sessions.Create(ctx, uid, "login", name, a.InstallationID)
				if err != nil {
					return nil, err
				}
				out := s.decodeSelf(u)
				out["sessionToken"] = sess.Token
				out["authDataResponse"] = map[string]any{}
				return &SignUpResult{Status: 200, Body: out, ID: uid}, nil
			} else if !errors.Is(err, mongo.ErrNoDocuments) {
				return nil, err
			}
		}
		for _, name := range names {
			enc, err := storage.EncodeAtom(m[name])
			if err != nil {
				return nil, err
			}
			extra = append(extra, bson.E{Key: "_auth_data_" + name, Value: enc})
		}
		provider = names[0]
		delete(body, "authData")
		if _, ok := body["username"]; !ok {
			generatedUsername = parse.RandomString(25)
			body["username"] = generatedUsername
		}
	} else {
		if u, _ := body["username"].(string); u == "" {
			return nil, parse.NewError(parse.UsernameMissing, "bad or missing username")
		}
		if p, _ := body["password"].(string); p == "" {
			return nil, parse.NewError(parse.PasswordMissing, "password is required")
		}
	}
	for k := range body {
		if strings.HasPrefix(k, "_") || k == "sessionToken" || k == "emailVerified" && !a.Master {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid field name: %s.", k)
		}
	}
	if err := s.checkIdentity(ctx, body, ""); err != nil {
		return nil, err
	}
	if pw, ok := body["password"]; ok {
		p, isStr := pw.(string)
		if !isStr || p == "" {
			return nil, parse.NewError(parse.PasswordMissing, "password is required")
		}
		username, _ := body["username"].(string)
		if err := s.validatePassword(p, username, nil); err != nil {
			return nil, err
		}
		h, err := HashPassword(p)
		if err != nil {
			return nil, err
		}
		extra = append(extra, s.passwordColumns(h, nil)...)
		delete(body, "password")
	}
	var verifyToken string
	email, _ := body["email"].(string)
	if s.Emails.configured() && s.Emails.VerifyUserEmails && email != "" {
		var set bson.D
		set, verifyToken = s.Emails.verifyColumns()
		extra = append(extra, set...)
	}
	// A new user can read and write itself, whatever ACL the body or a beforeSave trigger sets
	// (objects.WriteOptions.SelfACL); only itself when there is none (enforcePrivateUsers).
	master := &auth.Auth{Master: true, InstallationID: a.InstallationID}
	// Triggers (Cloud Code's beforeSave/afterSave on _User) see the client, not the master key.
	created, err := s.Objects.CreateWith(objects.WithTriggerAuth(ctx, a), master, Collection, body, objects.WriteOptions{Set: extra, SelfACL: true})
	if err != nil {
		return nil, err
	}
	uid := created["objectId"].(string)
	if verifyToken != "" {
		username, _ := body["username"].(string)
		if err := s.Emails.sendVerify(ctx, email, username, verifyToken); err != nil {
			return nil, err
		}
		if s.Emails.PreventLoginUnverified {
			// Parse Server's preventSignupWithUnverifiedEmail is off: the user exists, no session yet.
			return &SignUpResult{Status: 201, Body: created, ID: uid}, nil
		}
	}
	sess, err := s.Sessions.Create(ctx, uid, "signup", provider, a.InstallationID)
	if err != nil {
		return nil, err
	}
	created["sessionToken"] = sess.Token
	if provider != "password" {
		if generatedUsername != "" {
			created["username"] = generatedUsername
		}
		created["authDataResponse"] = map[string]any{}
	}
	return &SignUpResult{Status: 201, Body: created, ID: uid}, nil
}

func (s *Service) decodeSelf(u bson.M) map[string]any {
	return storage.Decode(s.userClass(), u, s.Objects.FileURL)
}

func (s *Service) userClass() *schema.Class {
	cls, err := s.Objects.Schemas.Get(context.Background(), Collection)
	if err != nil || cls == nil {
		return schema.SystemClass(Collection)
	}
	return cls
}

// findLoginUser finds the user of a login: by username, or by email when no username is given.
func (s *Service) findLoginUser(ctx context.Context, params map[string]any) (bson.M, string, error) {
	username, _ := params["username"].(string)
	email, _ := params["email"].(string)
	password, _ := params["password"].(string)
	if username == "" && email == "" {
		return nil, "", parse.NewError(parse.UsernameMissing, "username/email is required.")
	}
	if password == "" {
		return nil, "", parse.NewError(parse.PasswordMissing, "password is required.")
	}
	f := bson.D{{Key: "username", Value: username}}
	if username == "" {
		f = bson.D{{Key: "email", Value: email}}
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, f).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, "", parse.NewError(parse.ObjectNotFound, "Invalid username/password.")
	}
	if err != nil {
		return nil, "", err
	}
	if err := s.checkLocked(u); err != nil {
		return nil, "", err
	}
	hash, _ := u["_hashed_password"].(string)
	if hash == "" || !CheckPassword(hash, password) {
		if err := s.failedLogin(ctx, u); err != nil {
			return nil, "", err
		}
		return nil, "", parse.NewError(parse.ObjectNotFound, "Invalid username/password.")
	}
	if err := s.successfulLogin(ctx, u); err != nil {
		return nil, "", err
	}
	if err := s.checkExpired(u); err != nil {
		return nil, "", err
	}
	if rp, ok := u["_rperm"]; ok {
		if arr, isArr := rp.(bson.A); isArr && len(arr) == 0 {
			if wp, _ := u["_wperm"].(bson.A); len(wp) == 0 {
				return nil, "", parse.NewError(parse.ObjectNotFound, "Invalid username/password.")
			}
		}
	}
	uid, _ := u["_id"].(string)
	return u, uid, nil
}

// LoginHooks are the login triggers: BeforeLogin may refuse a login whose credentials are right.
type LoginHooks interface {
	BeforeLogin(ctx context.Context, a *auth.Auth, user map[string]any) error
	AfterLogin(ctx context.Context, a *auth.Auth, user map[string]any)
}

// LogIn checks credentials and opens a session.
func (s *Service) LogIn(ctx context.Context, a *auth.Auth, params map[string]any) (map[string]any, error) {
	u, uid, err := s.findLoginUser(ctx, params)
	if err != nil {
		return nil, err
	}
	if s.Emails != nil && s.Emails.VerifyUserEmails && s.Emails.PreventLoginUnverified && u["emailVerified"] != true {
		return nil, parse.NewError(parse.EmailNotFound, "User email is not verified.")
	}
	if s.Hooks != nil {
		if err := s.Hooks.BeforeLogin(ctx, a, s.decodeSelf(u)); err != nil {
			return nil, err
		}
	}
	sess, err := s.Sessions.Create(ctx, uid, "login", "password", a.InstallationID)
	if err != nil {
		return nil, err
	}
	out := s.decodeSelf(u)
	out["sessionToken"] = sess.Token
	if s.Hooks != nil {
		s.Hooks.AfterLogin(ctx, &auth.Auth{UserID: uid, SessionToken: sess.Token, InstallationID: a.InstallationID}, out)
	}
	return out, nil
}

// VerifyPassword checks credentials without opening a session.
func (s *Service) VerifyPassword(ctx context.Context, params map[string]any) (map[string]any, error) {
	u, _, err := s.findLoginUser(ctx, params)
	if err != nil {
		return nil, err
	}
	return s.decodeSelf(u), nil
}

// LoginAs opens a session for a user (master key).
func (s *Service) LoginAs(ctx context.Context, a *auth.Auth, userID string) (map[string]any, error) {
	if !a.Master {
		return nil, parse.NewError(parse.OperationForbidden, "master key is required")
	}
	if userID == "" {
		return nil, parse.NewError(parse.InvalidValue, "userId must not be empty, null, or undefined")
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, parse.NewError(parse.ObjectNotFound, "user not found")
	}
	if err != nil {
		return nil, err
	}
	sess, err := s.Sessions.Create(ctx, userID, "login", "masterkey", a.InstallationID)
	if err != nil {
		return nil, err
	}
	out := s.decodeSelf(u)
	out["sessionToken"] = sess.Token
	return out, nil
}

// Me returns the current user with the session token.
func (s *Service) Me(ctx context.Context, a *auth.Auth) (map[string]any, error) {
	if a.UserID == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_id", Value: a.UserID}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	if err != nil {
		return nil, err
	}
	out := s.decodeSelf(u)
	out["sessionToken"] = a.SessionToken
	return out, nil
}

// Update changes a user: only the user itself or the master key; a new password is hashed and the
// user's other sessions are revoked.
func (s *Service) Update(ctx context.Context, a *auth.Auth, id string, body map[string]any) (map[string]any, error) {
	if !a.Master && a.UserID != id {
		return nil, parse.NewError(parse.SessionMissing, "Insufficient auth.")
	}
	for k := range body {
		if strings.HasPrefix(k, "_") || k == "sessionToken" {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid field name: %s.", k)
		}
	}
	if err := s.checkIdentity(ctx, body, id); err != nil {
		return nil, err
	}
	var o objects.WriteOptions
	if v, ok := body["authData"]; ok {
		set, unset, err := s.linkAuthData(ctx, id, v)
		if err != nil {
			return nil, err
		}
		o.Set, o.Unset = append(o.Set, set...), append(o.Unset, unset...)
		delete(body, "authData")
	}
	changedPassword := false
	if pw, ok := body["password"]; ok {
		p, isStr := pw.(string)
		if !isStr || p == "" {
			return nil, parse.NewError(parse.PasswordMissing, "password is required")
		}
		cur, err := s.currentUser(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return nil, parse.NewError(parse.SessionMissing, "Insufficient auth.")
		}
		username, _ := body["username"].(string)
		if username == "" {
			username, _ = cur["username"].(string)
		}
		if err := s.validatePassword(p, username, cur); err != nil {
			return nil, err
		}
		h, err := HashPassword(p)
		if err != nil {
			return nil, err
		}
		o.Set = append(o.Set, s.passwordColumns(h, cur)...)
		o.Unset = append(o.Unset, bson.E{Key: "_perishable_token", Value: ""}, bson.E{Key: "_perishable_token_expires_at", Value: ""})
		delete(body, "password")
		changedPassword = true
	}
	var verifyToken string
	newEmail, _ := body["email"].(string)
	if newEmail != "" && s.Emails.configured() && s.Emails.VerifyUserEmails {
		var set bson.D
		set, verifyToken = s.Emails.verifyColumns()
		o.Set = append(o.Set, set...)
	}
	out, err := s.Objects.UpdateWith(ctx, a, Collection, id, body, o)
	if err != nil {
		if pe, ok := parse.As(err); ok && pe.Code == parse.ObjectNotFound && !a.Master {
			return nil, parse.NewError(parse.SessionMissing, "Insufficient auth.")
		}
		return nil, err
	}
	if verifyToken != "" {
		var u bson.M
		if err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&u); err == nil {
			username, _ := u["username"].(string)
			if err := s.Emails.sendVerify(ctx, newEmail, username, verifyToken); err != nil {
				return nil, err
			}
		}
	}
	if changedPassword {
		// As Parse Server: a new password ends every session of the user (revokeSessionOnPasswordReset),
		// and a user changing their own password gets a fresh session in the answer.
		if s.Sessions.Rules.RevokeOnPassword {
			if err := s.Sessions.RevokeOthers(ctx, id, ""); err != nil {
				return nil, err
			}
		}
		if !a.Master {
			sess, err := s.Sessions.Create(ctx, id, "update", "password", a.InstallationID)
			if err != nil {
				return nil, err
			}
			out["sessionToken"] = sess.Token
		}
	}
	return out, nil
}

// Delete removes a user (itself or master) and the user's sessions.
func (s *Service) Delete(ctx context.Context, a *auth.Auth, id string) error {
	if !a.Master && a.UserID != id {
		return parse.NewError(parse.SessionMissing, "Insufficient auth.")
	}
	if err := s.Objects.Delete(ctx, a, Collection, id); err != nil {
		if pe, ok := parse.As(err); ok && pe.Code == parse.ObjectNotFound && !a.Master {
			return parse.NewError(parse.SessionMissing, "Insufficient auth.")
		}
		return err
	}
	return s.Sessions.RevokeOthers(ctx, id, "")
}

// Upgrade turns a legacy (hosted Parse) session token stored on _User._session_token into a revocable
// session, as Parse Server's /upgradeToRevocableSession does.
func (s *Service) Upgrade(ctx context.Context, a *auth.Auth, token string) (map[string]any, error) {
	if token == "" {
		return nil, parse.NewError(parse.ObjectNotFound, "invalid session")
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_session_token", Value: token}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	if err != nil {
		return nil, err
	}
	uid, _ := u["_id"].(string)
	sess, err := s.Sessions.Create(ctx, uid, "upgrade", "password", a.InstallationID)
	if err != nil {
		return nil, err
	}
	if _, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: uid}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "_session_token", Value: ""}}}}); err != nil {
		return nil, err
	}
	return session.JSON(sess.Doc), nil
}

// Find lists users with the caller's rights (emails and authData hidden from others).
func (s *Service) Find(ctx context.Context, a *auth.Auth, opts query.Options) (*objects.FindResult, error) {
	return s.Objects.Find(ctx, a, Collection, opts)
}

func (s *Service) validateAuthData(ctx context.Context, name string, data map[string]any) error {
	var p authproviders.Provider
	if name == "anonymous" {
		if s.EnableAnonymous {
			p = authproviders.Anonymous{}
		}
	} else {
		p = s.Providers[name]
	}
	if p == nil || data == nil {
		return parse.NewError(parse.UnsupportedService, "This authentication method is unsupported.")
	}
	return p.Validate(ctx, data)
}

// linkAuthData links providers to user id ({p: data}) or unlinks them ({p: null}).
func (s *Service) linkAuthData(ctx context.Context, id string, v any) (set, unset bson.D, err error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, parse.NewError(parse.UnsupportedService, "This authentication method is unsupported.")
	}
	for name, data := range m {
		if !schemaFieldName(name) {
			return nil, nil, parse.NewError(parse.UnsupportedService, "This authentication method is unsupported.")
		}
		if data == nil {
			unset = append(unset, bson.E{Key: "_auth_data_" + name, Value: ""})
			continue
		}
		dm, _ := data.(map[string]any)
		if err := s.validateAuthData(ctx, name, dm); err != nil {
			return nil, nil, err
		}
		pid, _ := dm["id"].(string)
		n, err := s.DB.Collection(Collection).CountDocuments(ctx, bson.D{{Key: "_auth_data_" + name + ".id", Value: pid}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: id}}}})
		if err != nil {
			return nil, nil, err
		}
		if n > 0 {
			return nil, nil, parse.NewError(208, "this auth is already used")
		}
		enc, err := storage.EncodeAtom(dm)
		if err != nil {
			return nil, nil, err
		}
		set = append(set, bson.E{Key: "_auth_data_" + name, Value: enc})
	}
	return set, unset, nil
}

var providerNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func schemaFieldName(s string) bool { return providerNameRE.MatchString(s) }
