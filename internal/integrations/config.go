package integrations

import (
	"log/slog"
	"net/url"

	"github.com/postern/postern"
)

// Check is what every vendor client's constructor validates: BaseURL is
// an http(s) URL with a host and Secret is set. urlName and secretName
// say what they are called for this vendor ("API URL", "API token"), so
// the error reads the vendor's own way. The error is EINVALID.
func (c *Config) Check(provider, urlName, secretName string) error {
	if c.Secret == "" {
		return postern.Errorf(postern.EINVALID, "%s: %s is required", provider, secretName)
	}
	if c.BaseURL == "" {
		return postern.Errorf(postern.EINVALID, "%s: the %s is required", provider, urlName)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return postern.Errorf(postern.EINVALID, "%s: invalid %s %q", provider, urlName, c.BaseURL)
	}
	return nil
}

// ProviderLogger is Logger (or a logger that discards, if nil) tagged
// with the provider.
func (c *Config) ProviderLogger(provider string) *slog.Logger {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return log.With("provider", provider)
}
