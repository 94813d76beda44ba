package users

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/parse"
)

// Emails configures the verification and password-reset flows.
type Emails struct {
	Sender                 mail.Sender // nil: no email adapter
	AppName                string
	AppID                  string
	PublicServerURL        string // includes the mount path
	From                   string
	VerifyUserEmails       bool
	PreventLoginUnverified bool
	VerifyTokenValidity    time.Duration
	ResetTokenValidity     time.Duration
	Now                    func() time.Time
}

func (e *Emails) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (e *Emails) configured() bool {
	return e != nil && e.Sender != nil && e.AppName != "" && e.PublicServerURL != ""
}

func (e *Emails) link(page string, token, username string) string {
	q := url.Values{"token": {token}, "username": {username}}
	return strings.TrimRight(e.PublicServerURL, "/") + "/apps/" + url.PathEscape(e.AppID) + "/" + page + "?" + q.Encode()
}

// verifyColumns are the stored columns that start an email verification.
func (e *Emails) verifyColumns() (bson.D, string) {
	token := parse.RandomString(25)
	set := bson.D{{Key: "emailVerified", Value: false}, {Key: "_email_verify_token", Value: token}}
	if e.VerifyTokenValidity > 0 {
		set = append(set, bson.E{Key: "_email_verify_token_expires_at", Value: bson.NewDateTimeFromTime(e.now().Add(e.VerifyTokenValidity))})
	}
	return set, token
}

func (e *Emails) sendVerify(ctx context.Context, to, username, token string) error {
	return e.Sender.Send(ctx, mail.Message{To: to, From: e.From,
		Subject: "Please verify your e-mail for " + e.AppName,
		Text: "Hi,\n\nYou are being asked to confirm the e-mail address " + to + " with " + e.AppName +
			"\n\nClick here to confirm it:\n" + e.link("verify_email", token, username)})
}

func (e *Emails) sendReset(ctx context.Context, to, username, token string) error {
	return e.Sender.Send(ctx, mail.Message{To: to, From: e.From,
		Subject: "Password Reset for " + e.AppName,
		Text: "Hi,\n\nYou requested to reset your password for " + e.AppName +
			".\n\nClick here to reset it:\n" + e.link("request_password_reset", token, username)})
}

var errMailNotConfigured = parse.NewError(parse.InternalServerError, "An appName, publicServerURL, and emailAdapter are required for password reset and email verification functionality.")

// mailRecipient checks that mail can be sent and finds the user with email (nil when none).
func (s *Service) mailRecipient(ctx context.Context, email string) (bson.M, error) {
	if !s.Emails.configured() {
		return nil, errMailNotConfigured
	}
	if email == "" {
		return nil, parse.NewError(parse.EmailMissing, "you must provide an email")
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "email", Value: email}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	return u, err
}

// RequestVerificationEmail sends a new verification email (POST /verificationEmailRequest).
func (s *Service) RequestVerificationEmail(ctx context.Context, email string) error {
	u, err := s.mailRecipient(ctx, email)
	if err != nil {
		return err
	}
	if u == nil {
		return parse.Errorf(parse.EmailNotFound, "No user found with email %s", email)
	}
	if u["emailVerified"] == true {
		return parse.Errorf(parse.OtherCause, "Email %s is already verified.", email)
	}
	set, token := s.Emails.verifyColumns()
	if _, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return err
	}
	username, _ := u["username"].(string)
	return s.Emails.sendVerify(ctx, email, username, token)
}

// RequestPasswordReset mails a reset link (POST /requestPasswordReset). An unknown email succeeds
// silently, as Parse Server's default resetPasswordSuccessOnInvalidEmail.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	u, err := s.mailRecipient(ctx, email)
	if u == nil || err != nil {
		return err
	}
	token := parse.RandomString(25)
	set := bson.D{{Key: "_perishable_token", Value: token}}
	if s.Emails.ResetTokenValidity > 0 {
		set = append(set, bson.E{Key: "_perishable_token_expires_at", Value: bson.NewDateTimeFromTime(s.Emails.now().Add(s.Emails.ResetTokenValidity))})
	}
	if _, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return err
	}
	username, _ := u["username"].(string)
	return s.Emails.sendReset(ctx, email, username, token)
}

func tokenValid(u bson.M, expiresKey string, now time.Time) bool {
	if exp, ok := u[expiresKey].(bson.DateTime); ok && exp.Time().Before(now) {
		return false
	}
	return true
}

// userWithToken finds the user named username holding a still-valid token in tokenKey (nil if none).
func (s *Service) userWithToken(ctx context.Context, username, token, tokenKey, expiresKey string) (bson.M, error) {
	if token == "" || username == "" {
		return nil, nil
	}
	var u bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "username", Value: username}, {Key: tokenKey, Value: token}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !tokenValid(u, expiresKey, s.Emails.now()) {
		return nil, nil
	}
	return u, nil
}

// VerifyEmail consumes a verification token: true when the user's email is now verified.
func (s *Service) VerifyEmail(ctx context.Context, username, token string) (bool, error) {
	u, err := s.userWithToken(ctx, username, token, "_email_verify_token", "_email_verify_token_expires_at")
	if u == nil || err != nil {
		return false, err
	}
	_, err = s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "emailVerified", Value: true}}},
		{Key: "$unset", Value: bson.D{{Key: "_email_verify_token", Value: ""}, {Key: "_email_verify_token_expires_at", Value: ""}}},
	})
	return err == nil, err
}

// CheckResetToken returns the user a password-reset token is valid for (nil if none).
func (s *Service) CheckResetToken(ctx context.Context, username, token string) (bson.M, error) {
	return s.userWithToken(ctx, username, token, "_perishable_token", "_perishable_token_expires_at")
}

// ResetPassword sets a new password with a reset token, and revokes the user's sessions when
// configured.
func (s *Service) ResetPassword(ctx context.Context, username, token, password string) error {
	u, err := s.CheckResetToken(ctx, username, token)
	if err != nil {
		return err
	}
	if u == nil {
		return parse.NewError(parse.OtherCause, "Failed to reset password: username / email / token is invalid")
	}
	if password == "" {
		return parse.NewError(parse.PasswordMissing, "password is required")
	}
	uname, _ := u["username"].(string)
	if err := s.validatePassword(password, uname, u); err != nil {
		return err
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	set := append(s.passwordColumns(h, u), bson.E{Key: "_updated_at", Value: bson.NewDateTimeFromTime(s.Emails.now())})
	unset := bson.D{{Key: "_perishable_token", Value: ""}, {Key: "_perishable_token_expires_at", Value: ""}}
	if s.Lockout.UnlockOnPasswordReset {
		unset = append(unset, bson.E{Key: "_failed_login_count", Value: ""}, bson.E{Key: "_account_lockout_expires_at", Value: ""})
	}
	if _, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{
		{Key: "$set", Value: set},
		{Key: "$unset", Value: unset},
	}); err != nil {
		return err
	}
	if s.Sessions.Rules.RevokeOnPassword {
		uid, _ := u["_id"].(string)
		return s.Sessions.RevokeOthers(ctx, uid, "")
	}
	return nil
}
