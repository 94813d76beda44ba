package rest

import "context"

// eventRoutes are the analytics events (AppOpened is one of them): each becomes a CloudWatch EMF line.
func (a *App) eventRoutes() []route {
	return []route{r("POST", "/events/:eventName", a.trackEvent)}
}

func (a *App) trackEvent(ctx context.Context, req *Request) (*Response, error) {
	if err := a.ext.events.Track(req.Params["eventName"], a.bodyOrEmpty(req)); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}
