package users

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
)

// Lockout is Parse Server's accountLockout: after Threshold failed logins the account is locked for
// Duration. Threshold 0 turns it off (the default).
type Lockout struct {
	Threshold             int
	Duration              time.Duration
	UnlockOnPasswordReset bool
}

// Policy is Parse Server's passwordPolicy; the zero value allows any non-empty password.
type Policy struct {
	Pattern            *regexp.Regexp
	ValidationError    string
	DoNotAllowUsername bool
	MaxAge             time.Duration
	MaxHistory         int
}

func (s *Service) now() time.Time {
	if s.Emails != nil {
		return s.Emails.now()
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// checkLocked refuses a login while the account is locked.
func (s *Service) checkLocked(u bson.M) error {
	if s.Lockout.Threshold <= 0 {
		return nil
	}
	if exp, ok := u["_account_lockout_expires_at"].(bson.DateTime); ok && exp.Time().After(s.now()) {
		mins := int(s.Lockout.Duration.Minutes())
		return parse.Errorf(parse.ObjectNotFound, "Your account is locked due to multiple failed login attempts. Please try again after %d minute(s)", mins)
	}
	return nil
}

// failedLogin counts a failed attempt and locks the account at the threshold.
func (s *Service) failedLogin(ctx context.Context, u bson.M) error {
	if s.Lockout.Threshold <= 0 {
		return nil
	}
	n := 1
	switch c := u["_failed_login_count"].(type) {
	case int32:
		n += int(c)
	case int64:
		n += int(c)
	case float64:
		n += int(c)
	}
	if exp, ok := u["_account_lockout_expires_at"].(bson.DateTime); ok && !exp.Time().After(s.now()) {
		n = 1 // an expired lock starts a new count
	}
	set := bson.D{{Key: "_failed_login_count", Value: int32(n)}}
	if n >= s.Lockout.Threshold {
		set = append(set, bson.E{Key: "_account_lockout_expires_at", Value: bson.NewDateTimeFromTime(s.now().Add(s.Lockout.Duration))})
	}
	_, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{{Key: "$set", Value: set}})
	return err
}

// successfulLogin clears the failure count.
func (s *Service) successfulLogin(ctx context.Context, u bson.M) error {
	if s.Lockout.Threshold <= 0 || (u["_failed_login_count"] == nil && u["_account_lockout_expires_at"] == nil) {
		return nil
	}
	_, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: u["_id"]}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "_failed_login_count", Value: ""}, {Key: "_account_lockout_expires_at", Value: ""}}}})
	return err
}

// checkExpired refuses a login with a password older than the policy's maximum age.
func (s *Service) checkExpired(u bson.M) error {
	if s.Policy.MaxAge <= 0 {
		return nil
	}
	changed, ok := u["_password_changed_at"].(bson.DateTime)
	if !ok {
		return nil
	}
	if changed.Time().Add(s.Policy.MaxAge).Before(s.now()) {
		return parse.NewError(parse.ObjectNotFound, "Your password has expired. Please reset your password.")
	}
	return nil
}

// validatePassword applies the policy to a new password; current is the user's stored document on
// a change (nil on sign-up).
func (s *Service) validatePassword(pw, username string, current bson.M) error {
	msg := s.Policy.ValidationError
	if msg == "" {
		msg = "Password does not meet the Password Policy requirements."
	}
	if s.Policy.Pattern != nil && !s.Policy.Pattern.MatchString(pw) {
		return parse.NewError(parse.ValidationError, msg)
	}
	if s.Policy.DoNotAllowUsername && username != "" && strings.Contains(pw, username) {
		return parse.NewError(parse.ValidationError, "Password cannot contain your username.")
	}
	if s.Policy.MaxHistory > 0 && current != nil {
		hashes := []string{}
		if h, ok := current["_hashed_password"].(string); ok {
			hashes = append(hashes, h)
		}
		if hist, ok := current["_password_history"].(bson.A); ok {
			for _, x := range hist {
				if h, ok := x.(string); ok {
					hashes = append(hashes, h)
				}
			}
		}
		for i, h := range hashes {
			if i > s.Policy.MaxHistory {
				break
			}
			if CheckPassword(h, pw) {
				return parse.Errorf(parse.ValidationError, "New password should not be the same as last %d passwords.", s.Policy.MaxHistory)
			}
		}
	}
	return nil
}

// passwordColumns are the stored columns written with a new password hash.
func (s *Service) passwordColumns(hash string, current bson.M) bson.D {
	set := bson.D{{Key: "_hashed_password", Value: hash}}
	if s.Policy.MaxAge > 0 {
		set = append(set, bson.E{Key: "_password_changed_at", Value: bson.NewDateTimeFromTime(s.now())})
	}
	if s.Policy.MaxHistory > 0 && current != nil {
		hist := bson.A{}
		if h, ok := current["_hashed_password"].(string); ok {
			hist = append(hist, h)
		}
		if old, ok := current["_password_history"].(bson.A); ok {
			hist = append(hist, old...)
		}
		if len(hist) > s.Policy.MaxHistory {
			hist = hist[:s.Policy.MaxHistory]
		}
		set = append(set, bson.E{Key: "_password_history", Value: hist})
	}
	return set
}

func (s *Service) currentUser(ctx context.Context, filter bson.D) (bson.M, error) {
	var u bson.M
	if err := s.DB.Collection(Collection).FindOne(ctx, filter).Decode(&u); err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}
