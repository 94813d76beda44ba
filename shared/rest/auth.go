package rest

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/session"
)

// authResolver turns a session token into a user and the user's roles.
type authResolver struct {
	db       *mongo.Database
	sessions *session.Store
}

const maxRoleDepth = 20

func (r *authResolver) resolve(ctx context.Context, token string, master bool) (*auth.Auth, error) {
	if master {
		return &auth.Auth{Master: true, SessionToken: token}, nil
	}
	if token == "" {
		return auth.Nobody(), nil
	}
	s, err := r.sessions.Lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	roles, err := r.roles(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	return &auth.Auth{UserID: s.UserID, Roles: roles, SessionToken: token}, nil
}

// roles returns "role:Name" for every role the user is in, directly or through roles of roles.
func (r *authResolver) roles(ctx context.Context, userID string) ([]string, error) {
	ids, err := r.join(ctx, "_Join:users:_Role", bson.A{userID})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	frontier := ids
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var next bson.A
		for _, id := range frontier {
			s, _ := id.(string)
			if !seen[s] {
				seen[s] = true
				next = append(next, s)
			}
		}
		if len(next) == 0 {
			break
		}
		// A role R listed in P's "roles" relation passes P's rights to R's members.
		parents, err := r.join(ctx, "_Join:roles:_Role", next)
		if err != nil {
			return nil, err
		}
		frontier = parents
	}
	if len(seen) == 0 {
		return nil, nil
	}
	all := bson.A{}
	for id := range seen {
		all = append(all, id)
	}
	cur, err := r.db.Collection("_Role").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: all}}}}, options.Find().SetProjection(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		if n, ok := d["name"].(string); ok {
			out = append(out, "role:"+n)
		}
	}
	return out, nil
}

func (r *authResolver) join(ctx context.Context, coll string, related bson.A) (bson.A, error) {
	cur, err := r.db.Collection(coll).Find(ctx, bson.D{{Key: "relatedId", Value: bson.D{{Key: "$in", Value: related}}}}, options.Find().SetProjection(bson.D{{Key: "owningId", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := bson.A{}
	for _, d := range docs {
		out = append(out, d["owningId"])
	}
	return out, nil
}
