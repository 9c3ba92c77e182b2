package actions

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/postgate/postgate/internal/idp"
)

// Flows runs the actions bound to each trigger for the identity provider:
// it implements idp's PostLoginRunner, CredentialsExchangeRunner,
// PreUserRegistrationRunner and PostUserRegistrationRunner.
//
// A thrown error, a rejected promise or the time limit fails the flow like
// api.access.deny does, with the error's message as the reason, so the
// provider answers access_denied. Nothing else from a failed or denied flow
// is kept (except metadata changes of a denied login, as Auth0).
type Flows struct {
	Store   *Store
	Runtime *Runtime
}

var (
	_ idp.PostLoginRunner            = (*Flows)(nil)
	_ idp.CredentialsExchangeRunner  = (*Flows)(nil)
	_ idp.PreUserRegistrationRunner  = (*Flows)(nil)
	_ idp.PostUserRegistrationRunner = (*Flows)(nil)
)

// Hooks returns the runners to put in idp.Config.Hooks.
func (f *Flows) Hooks() idp.Hooks {
	return idp.Hooks{PostLogin: f, CredentialsExchange: f, PreUserRegistration: f, PostUserRegistration: f}
}

// run executes trigger's chain. A RunError becomes a denial; other errors
// (the store) are returned.
func (f *Flows) run(ctx context.Context, trigger Trigger, event any) (*Result, error) {
	chain, err := f.Store.Chain(ctx, trigger)
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return newResult(), nil
	}
	start := time.Now()
	res, err := f.Runtime.Run(ctx, trigger, chain, event)
	log := f.Runtime.cfg.Logger
	if res != nil && log.Enabled(ctx, slog.LevelDebug) {
		for _, l := range res.Logs {
			log.Debug("action console", "type", "auth", "trigger", string(trigger), "action", l.Action, "level", l.Level, "message", l.Message)
		}
		log.Debug("actions flow", "type", "auth", "trigger", string(trigger), "actions", len(res.Runs),
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "denied", res.Denied)
	}
	var re *RunError
	if errors.As(err, &re) {
		log.Warn("action failed", "type", "auth", "trigger", string(trigger), "action", re.Action, "kind", string(re.Kind), "error", re.Message)
		if re.Kind == KindCanceled {
			return nil, err
		}
		return &Result{Denied: true, DenyReason: re.Message}, nil
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RunPostLogin runs the post-login actions.
func (f *Flows) RunPostLogin(ctx context.Context, ev idp.PostLoginEvent) (idp.PostLoginResult, error) {
	res, err := f.run(ctx, PostLogin, ev)
	if err != nil {
		return idp.PostLoginResult{}, err
	}
	if res.Denied {
		return idp.PostLoginResult{Denied: true, DenyReason: res.DenyReason, AppMetadata: nilIfEmpty(res.AppMetadata), UserMetadata: nilIfEmpty(res.UserMetadata)}, nil
	}
	return idp.PostLoginResult{
		AccessTokenClaims: nilIfEmpty(res.AccessTokenClaims),
		IDTokenClaims:     nilIfEmpty(res.IDTokenClaims),
		AddScopes:         res.AddScopes,
		RemoveScopes:      res.RemoveScopes,
		AppMetadata:       nilIfEmpty(res.AppMetadata),
		UserMetadata:      nilIfEmpty(res.UserMetadata),
	}, nil
}

// RunCredentialsExchange runs the credentials-exchange actions.
func (f *Flows) RunCredentialsExchange(ctx context.Context, ev idp.CredentialsExchangeEvent) (idp.CredentialsExchangeResult, error) {
	res, err := f.run(ctx, CredentialsExchange, ev)
	if err != nil {
		return idp.CredentialsExchangeResult{}, err
	}
	if res.Denied {
		return idp.CredentialsExchangeResult{Denied: true, DenyReason: res.DenyReason}, nil
	}
	return idp.CredentialsExchangeResult{AccessTokenClaims: nilIfEmpty(res.AccessTokenClaims)}, nil
}

// RunPreUserRegistration runs the pre-user-registration actions.
func (f *Flows) RunPreUserRegistration(ctx context.Context, ev idp.RegistrationEvent) (idp.PreRegistrationResult, error) {
	res, err := f.run(ctx, PreUserRegistration, ev)
	if err != nil {
		return idp.PreRegistrationResult{}, err
	}
	if res.Denied {
		return idp.PreRegistrationResult{Denied: true, DenyReason: res.DenyReason}, nil
	}
	return idp.PreRegistrationResult{AppMetadata: nilIfEmpty(res.AppMetadata), UserMetadata: nilIfEmpty(res.UserMetadata)}, nil
}

// RunPostUserRegistration runs the post-user-registration actions; a
// failure is reported but never undoes the registration.
func (f *Flows) RunPostUserRegistration(ctx context.Context, ev idp.RegistrationEvent) error {
	res, err := f.run(ctx, PostUserRegistration, ev)
	if err != nil {
		return err
	}
	if res.Denied {
		return &RunError{Kind: KindThrown, Message: res.DenyReason}
	}
	return nil
}

func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}
