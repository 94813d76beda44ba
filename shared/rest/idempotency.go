package rest

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/parselambda/parselambda/shared/idempotency"
	"github.com/parselambda/parselambda/shared/storage"
)

// idempotent runs h for req unless req repeats an X-Parse-Request-Id seen within IDEMPOTENCY_TTL on
// the paths of IDEMPOTENCY_PATHS. A repeat answers the first request's stored answer (status, body,
// Location and headers) with IDEMPOTENCY_REPEAT=replay, or 159 Duplicate request with error. A batch's
// sub-requests are checked as "<id>:<position>", and the whole batch as "<id>" when /batch matches.
func (a *App) idempotent(ctx context.Context, req *Request, h handlerFunc) (*Response, error) {
	id := ""
	if a.ext != nil && a.ext.idempotency.Enabled() {
		id = req.Header.Get("X-Parse-Request-Id")
	}
	if id == "" {
		return h(a.withCloudInfo(ctx, req), req)
	}
	if req.batchIndex > 0 {
		id += ":" + strconv.Itoa(req.batchIndex)
	}
	caller := "user:" + req.Auth.UserID
	if req.Auth.Master {
		caller = "master"
	}
	t, stored, err := a.ext.idempotency.Begin(ctx, req.Method, req.Path, id, caller)
	if err != nil {
		return nil, err
	}
	if stored != nil {
		return &Response{Status: stored.Status, Body: stored.Body, Location: stored.Location, Header: stored.Header}, nil
	}
	if t == nil {
		return h(a.withCloudInfo(ctx, req), req)
	}
	// The first request of the id: its successful answer is stored for the repeats; a failure (or a
	// panic, which goes on up) deletes the row so that a retry runs again.
	done := false
	defer func() {
		if !done {
			a.idempotencyDone(ctx, t, nil)
		}
	}()
	resp, err := h(a.withCloudInfo(ctx, req), req)
	done = true
	var s *idempotency.Stored
	if err == nil && resp != nil {
		s = storedOf(resp)
	}
	a.idempotencyDone(ctx, t, s)
	return resp, err
}

func (a *App) idempotencyDone(ctx context.Context, t *idempotency.Ticket, s *idempotency.Stored) {
	if err := t.Done(ctx, s); err != nil {
		a.log.WarnContext(ctx, "idempotency: could not record how a request id ended", "request_id", RequestID(ctx), "err", err)
	}
}

// storedOf encodes a response as writeJSON would; nil when it cannot be encoded (not stored then).
func storedOf(resp *Response) *idempotency.Stored {
	body, err := storage.MarshalJSON(resp.Body)
	if err != nil {
		return nil
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	return &idempotency.Stored{Status: status, Body: json.RawMessage(body), Location: resp.Location, Header: resp.Header}
}
