// Package installations is Parse's _Installation writes: the de-duplication rules of Parse Server's
// RestWrite.handleInstallation on installationId and deviceToken, deviceType required and immutable,
// and channel names.
package installations

import (
	"context"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
)

// Class is the installations class.
const Class = "_Installation"

// Service writes installations through the objects controller.
type Service struct {
	DB      *mongo.Database
	Objects *objects.Controller
}

// Result is a write's answer: Created is false when a create became an update of ObjectID (the
// installation was known by its installationId or deviceToken).
type Result struct {
	Body     map[string]any
	ObjectID string
	Created  bool
}

var channelRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*$`)

// ValidateChannels checks channel names in a write: each must be "" or start with a letter and hold
// only letters, digits, _ and - (112). A channels value that is not an array is left to the schema (111).
func ValidateChannels(body map[string]any) error {
	v, ok := body["channels"]
	if !ok || v == nil {
		return nil
	}
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	case map[string]any:
		switch t["__op"] {
		case "Add", "AddUnique", "Remove":
			list, _ = t["objects"].([]any)
		default:
			return nil
		}
	default:
		return nil
	}
	for _, c := range list {
		s, isStr := c.(string)
		if !isStr || (s != "" && !channelRE.MatchString(s)) {
			return parse.Errorf(parse.InvalidChannelName, "Invalid channel name: %v. Channel names must be empty or start with a letter and contain only letters, numbers, underscores and dashes.", c)
		}
	}
	return nil
}

type stored struct {
	ID, InstallationID, DeviceToken, DeviceType string
}

func fromDoc(d bson.M) stored {
	s := func(k string) string { v, _ := d[k].(string); return v }
	return stored{ID: s("_id"), InstallationID: s("installationId"), DeviceToken: s("deviceToken"), DeviceType: s("deviceType")}
}

// Create runs POST /installations.
func (s *Service) Create(ctx context.Context, a *auth.Auth, body map[string]any) (*Result, error) {
	return s.write(ctx, a, "", body)
}

// Update runs PUT /installations/:id.
func (s *Service) Update(ctx context.Context, a *auth.Auth, id string, body map[string]any) (*Result, error) {
	return s.write(ctx, a, id, body)
}

func str(body map[string]any, k string) string {
	v, _ := body[k].(string)
	return v
}

func (s *Service) write(ctx context.Context, a *auth.Auth, queryID string, body map[string]any) (*Result, error) {
	if body == nil {
		body = map[string]any{}
	}
	if err := ValidateChannels(body); err != nil {
		return nil, err
	}
	target, err := s.resolve(ctx, a, queryID, body)
	if err != nil {
		return nil, err
	}
	if target == "" {
		out, err := s.Objects.Create(ctx, a, Class, body)
		if err != nil {
			return nil, err
		}
		id, _ := out["objectId"].(string)
		return &Result{Body: out, ObjectID: id, Created: true}, nil
	}
	delete(body, "objectId")
	delete(body, "createdAt")
	out, err := s.Objects.Update(ctx, a, Class, target, body)
	if err != nil {
		return nil, err
	}
	return &Result{Body: out, ObjectID: target}, nil
}

// resolve applies handleInstallation: it normalizes the ids in body and returns the object the write
// goes to ("" to create one), deleting installations that the write supersedes.
func (s *Service) resolve(ctx context.Context, a *auth.Auth, queryID string, body map[string]any) (string, error) {
	update := queryID != ""
	dataToken, dataInstID, dataType := str(body, "deviceToken"), str(body, "installationId"), str(body, "deviceType")
	if !update && dataToken == "" && dataInstID == "" && a.InstallationID == "" {
		return "", parse.NewError(parse.RequiredField, "at least one ID field (deviceToken, installationId) must be specified in this operation")
	}
	// A 64-character device token is an APNs token: lower-cased. installationIds always are.
	if len(dataToken) == 64 {
		dataToken = strings.ToLower(dataToken)
		body["deviceToken"] = dataToken
	}
	if dataInstID != "" {
		dataInstID = strings.ToLower(dataInstID)
		body["installationId"] = dataInstID
	}
	instID := dataInstID
	if instID == "" && !a.Master {
		instID = strings.ToLower(a.InstallationID)
	}
	if update && dataToken == "" && instID == "" && dataType == "" {
		return queryID, nil // nothing that identifies a device changes
	}
	or := bson.A{}
	if update {
		or = append(or, bson.D{{Key: "_id", Value: queryID}})
	}
	if instID != "" {
		or = append(or, bson.D{{Key: "installationId", Value: instID}})
	}
	if dataToken != "" {
		or = append(or, bson.D{{Key: "deviceToken", Value: dataToken}})
	}
	if len(or) == 0 {
		return queryID, nil
	}
	cur, err := s.DB.Collection(Class).Find(ctx, bson.D{{Key: "$or", Value: or}})
	if err != nil {
		return "", s.Objects.DBError(ctx, err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return "", s.Objects.DBError(ctx, err)
	}
	found := make([]stored, len(docs))
	for i, d := range docs {
		found[i] = fromDoc(d)
	}
	var objectIDMatch, instIDMatch *stored
	var tokenMatches []*stored
	for i := range found {
		r := &found[i]
		if update && r.ID == queryID {
			objectIDMatch = r
		}
		if instID != "" && r.InstallationID == instID {
			instIDMatch = r
		}
		if dataToken != "" && r.DeviceToken == dataToken {
			tokenMatches = append(tokenMatches, r)
		}
	}
	if update {
		if objectIDMatch == nil {
			return "", parse.NewError(parse.ObjectNotFound, "Object not found for update.")
		}
		if dataInstID != "" && objectIDMatch.InstallationID != "" && dataInstID != objectIDMatch.InstallationID {
			return "", parse.NewError(parse.ImmutableField, "installationId may not be changed in this operation")
		}
		if dataToken != "" && objectIDMatch.DeviceToken != "" && dataToken != objectIDMatch.DeviceToken && dataInstID == "" && objectIDMatch.InstallationID == "" {
			return "", parse.NewError(parse.ImmutableField, "deviceToken may not be changed in this operation")
		}
		if dataType != "" && dataType != objectIDMatch.DeviceType {
			return "", parse.NewError(parse.ImmutableField, "deviceType may not be changed in this operation")
		}
	}
	var idMatch *stored
	if update {
		idMatch = objectIDMatch
	}
	if instIDMatch != nil {
		idMatch = instIDMatch
	}
	if !update && dataType == "" && idMatch == nil {
		return "", parse.NewError(parse.RequiredField, "deviceType must be specified in this operation")
	}
	appIdentifier := body["appIdentifier"]
	if idMatch == nil {
		switch {
		case len(tokenMatches) == 0:
			return queryID, nil
		case len(tokenMatches) == 1 && (tokenMatches[0].InstallationID == "" || instID == ""):
			// One installation has this token and no installationId can tell them apart: it is this device.
			return tokenMatches[0].ID, nil
		case dataInstID == "":
			return "", parse.NewError(132, "Must specify installationId when deviceToken matches multiple Installation objects")
		default:
			// The token moved to a new installation: the old ones that hold it go.
			del := bson.D{{Key: "deviceToken", Value: dataToken}, {Key: "installationId", Value: bson.D{{Key: "$ne", Value: instID}}}}
			if err := s.deleteWhere(ctx, del, appIdentifier); err != nil {
				return "", err
			}
			return queryID, nil
		}
	}
	if len(tokenMatches) == 1 && tokenMatches[0].InstallationID == "" && tokenMatches[0].ID != idMatch.ID {
		// The only installation with this token has no installationId: merge into it.
		if _, err := s.DB.Collection(Class).DeleteOne(ctx, bson.D{{Key: "_id", Value: idMatch.ID}}); err != nil {
			return "", s.Objects.DBError(ctx, err)
		}
		return tokenMatches[0].ID, nil
	}
	if dataToken != "" && idMatch.DeviceToken != dataToken && dataInstID != "" {
		// The installation takes a token that other installations held: they go.
		del := bson.D{{Key: "deviceToken", Value: dataToken}, {Key: "installationId", Value: bson.D{{Key: "$ne", Value: dataInstID}}}}
		if err := s.deleteWhere(ctx, del, appIdentifier); err != nil {
			return "", err
		}
	}
	return idMatch.ID, nil
}

func (s *Service) deleteWhere(ctx context.Context, filter bson.D, appIdentifier any) error {
	if ai, ok := appIdentifier.(string); ok && ai != "" {
		filter = append(filter, bson.E{Key: "appIdentifier", Value: ai})
	}
	if _, err := s.DB.Collection(Class).DeleteMany(ctx, filter); err != nil {
		return s.Objects.DBError(ctx, err)
	}
	return nil
}
