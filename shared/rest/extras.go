package rest

import (
	"io"
	"os"

	"github.com/parselambda/parselambda/shared/analytics"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/globalconfig"
	"github.com/parselambda/parselambda/shared/idempotency"
	"github.com/parselambda/parselambda/shared/installations"
)

// extras are the families built on their own packages: files, config, installations, analytics
// events and idempotency.
type extras struct {
	files         files.Store
	globalConfig  *globalconfig.Store
	installations *installations.Service
	events        *analytics.Recorder
	idempotency   *idempotency.Checker
}

// initExtras builds them from the options, and points file fields at FileURL (or the URL mode's).
func (a *App) initExtras(o Options) {
	x := &extras{files: o.Files}
	fileURL := o.FileURL
	if fileURL == nil && o.Files != nil {
		fileURL = files.URLFunc(o.Config, o.Files)
	}
	if fileURL != nil {
		a.objects.FileURLFunc = fileURL
	}
	x.globalConfig = &globalconfig.Store{DB: o.DB}
	x.installations = &installations.Service{DB: o.DB, Objects: a.objects}
	var w io.Writer = os.Stdout
	if o.Events != nil {
		w = o.Events
	}
	x.events = &analytics.Recorder{W: w}
	idem, err := idempotency.New(o.DB, o.Config.IdempotencyPaths, o.Config.IdempotencyTTL, o.Log)
	if err != nil { // config.FromEnv checks the patterns; a bad one from code disables the check
		o.Log.Error("idempotency paths do not compile; idempotency is off", "err", err)
		idem = nil
	}
	if idem != nil {
		idem.Mode = o.Config.IdempotencyRepeat
	}
	x.idempotency = idem
	a.ext = x
}
