package rest

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/session"
)

// authResolver turns a session token into a user and the user's roles. Resolved tokens are cached
// for a few seconds per container, as Parse Server caches sessions (cacheTTL); logging out or revoking
// sessions in this container drops the cache.
type authResolver struct {
	db       *mongo.Database
	sessions *session.Store
	ttl      time.Duration

	mu    sync.Mutex
	cache map[string]cachedAuth
	gen   uint64
}

type cachedAuth struct {
	userID string
	roles  []string
	until  time.Time
}

const authCacheMax = 10000

func (r *authResolver) cached(token string) (*auth.Auth, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[token]
	if !ok || time.Now().After(c.until) || r.sessions.Generation() != r.gen {
		return nil, false
	}
	return &auth.Auth{UserID: c.userID, Roles: c.roles, SessionToken: token}, true
}

func (r *authResolver) remember(token string, a *auth.Auth) {
	if r.ttl <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil || len(r.cache) >= authCacheMax || r.sessions.Generation() != r.gen {
		r.cache = map[string]cachedAuth{}
		r.gen = r.sessions.Generation()
	}
	r.cache[token] = cachedAuth{userID: a.UserID, roles: a.Roles, until: time.Now().Add(r.ttl)}
}

const maxRoleDepth = 20

func (r *authResolver) resolve(ctx context.Context, token string, master bool) (*auth.Auth, error) {
	if master {
		return &auth.Auth{Master: true, SessionToken: token}, nil
	}
	if token == "" {
		return auth.Nobody(), nil
	}
	if a, ok := r.cached(token); ok {
		return a, nil
	}
	s, err := r.sessions.Lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	roles, err := r.roles(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	a := &auth.Auth{UserID: s.UserID, Roles: roles, SessionToken: token}
	r.remember(token, a)
	return a, nil
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
