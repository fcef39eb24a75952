package admissionwebhook

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"k8s.io/apimachinery/pkg/util/sets"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/rest"
)

// errNoServices is why a webhook by Service cannot be called; the registry refuses such webhooks already.
var errNoServices = fmt.Errorf("a workspace has no cluster network, so a Service cannot be resolved: use clientConfig.url")

// noServices resolves no Service.
type noServices struct{}

// ResolveEndpoint implements webhookutil.ServiceResolver.
func (noServices) ResolveEndpoint(namespace, name string, _ int32) (*url.URL, error) {
	return nil, fmt.Errorf("service %s/%s: %w", namespace, name, errNoServices)
}

// guardDialer wraps the resolver of the webhooks' client configurations so that every call dials through
// guardedDial.
func guardDialer(delegate webhookutil.AuthenticationInfoResolver) webhookutil.AuthenticationInfoResolver {
	return guardedResolver{delegate: delegate}
}

type guardedResolver struct {
	delegate webhookutil.AuthenticationInfoResolver
}

func (r guardedResolver) ClientConfigFor(hostPort string) (*rest.Config, error) {
	cfg, err := r.delegate.ClientConfigFor(hostPort)
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Dial = guardedDial(cfg.Dial)
	return cfg, nil
}

func (r guardedResolver) ClientConfigForService(name, namespace string, port int) (*rest.Config, error) {
	return nil, fmt.Errorf("service %s/%s: %w", namespace, name, errNoServices)
}

// blockedNetworks are where a workspace's webhook may not call, whatever the URL's host resolves to: link-local
// addresses, where cloud metadata services answer with the host's credentials, and unspecified ones.
var blockedNetworks = func() []*net.IPNet {
	var out []*net.IPNet
	for _, cidr := range []string{"169.254.0.0/16", "fe80::/10", "0.0.0.0/32", "::/128", "100.100.100.200/32", "fd00:ec2::254/128"} {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}()

// blockedHosts are the metadata service names, refused before any lookup.
var blockedHosts = sets.New("metadata.google.internal", "metadata", "metadata.azure.com")

// Blocked says why a webhook may not call ip, or "" if it may.
func Blocked(ip net.IP) string {
	for _, n := range blockedNetworks {
		if n.Contains(ip) {
			return fmt.Sprintf("address %s is in %s, which webhooks may not call (link-local or metadata addresses)", ip, n)
		}
	}
	return ""
}

// guardedDial resolves the address itself and refuses a blocked one, then dials the address it checked (so that a
// second lookup cannot answer differently).
func guardedDial(delegate func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if delegate == nil {
		var d net.Dialer
		delegate = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if blockedHosts.Has(host) {
			return nil, fmt.Errorf("host %s is a metadata service, which webhooks may not call", host)
		}
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		var lastErr error
		for _, ip := range ips {
			if why := Blocked(ip); why != "" {
				lastErr = fmt.Errorf("%s", why)
				continue
			}
			conn, err := delegate(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			lastErr = err
		}
		if lastErr == nil {
			lastErr = fmt.Errorf("host %s has no address", host)
		}
		return nil, lastErr
	}
}
