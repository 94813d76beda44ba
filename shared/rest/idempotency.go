package rest

import (
	"context"
	"strconv"
)

// checkIdempotency refuses a repeated X-Parse-Request-Id (159) on the writes Parse Server checks,
// when IDEMPOTENCY_PATHS is set. A batch's sub-requests are checked as "<id>:<position>".
func (a *App) checkIdempotency(ctx context.Context, req *Request) error {
	if a.ext == nil || !a.ext.idempotency.Enabled() {
		return nil
	}
	id := req.Header.Get("X-Parse-Request-Id")
	if id == "" {
		return nil
	}
	if req.batchIndex > 0 {
		id += ":" + strconv.Itoa(req.batchIndex)
	}
	return a.ext.idempotency.Check(ctx, req.Method, req.Path, id)
}
