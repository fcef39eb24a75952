package syncer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/serviceaccount"
)

// RenewAtLifeFraction is how far into its life the syncer's token is renewed when no fixed interval is set: early
// enough that a Gantry outage of a fifth of the token's life does not lock the syncer out.
const RenewAtLifeFraction = 0.8

// TokenSecretKey is the key of the downstream Secret that holds the syncer's upstream kubeconfig.
const TokenSecretKey = "kubeconfig"

// TokenRenewal keeps the syncer's ServiceAccount token for Gantry alive: it asks Gantry for a fresh one through
// the TokenRequest API (serviceaccounts/token, which `kubectl gantry sync` lets the syncer create for itself only)
// before the current one runs out, hands it to every Gantry client at once (they read it through WrapTransport on
// each request), and writes it into the downstream Secret the syncer's kubeconfig is mounted from, so that a
// restarted syncer starts with a live token.
type TokenRenewal struct {
	// renewAfter, when positive, replaces RenewAtLifeFraction with a fixed interval.
	renewAfter time.Duration
	// gantry requests tokens in the ServiceAccount's workspace.
	gantry kubernetes.Interface
	// down writes the Secret; nil when there is none to write.
	down            kubernetes.Interface
	secretNamespace string
	secretName      string
	now             func() time.Time

	mu      sync.RWMutex
	token   string
	info    serviceaccount.TokenInfo
	written bool // whether the Secret holds the current token
}

// TokenRenewalConfig is what NewTokenRenewal needs.
type TokenRenewalConfig struct {
	// From is the syncer's Gantry config, holding the token to renew as BearerToken.
	From *rest.Config
	// To reaches the downstream cluster, for the Secret; unused when Secret is empty.
	To *rest.Config
	// Secret is "<namespace>/<name>" of the downstream Secret to keep the kubeconfig in; empty writes none.
	Secret string
	// RenewAfter, when positive, renews at this interval instead of at RenewAtLifeFraction of the token's life.
	RenewAfter time.Duration
}

// NewTokenRenewal reads the token of cfg.From, or the Secret's when that one lives longer (a syncer restarted after
// a renewal, whose mounted file may lag behind the Secret), and builds the clients it renews it with. Gantry
// clients must be built from cfg.From after Use.
func NewTokenRenewal(ctx context.Context, cfg TokenRenewalConfig) (*TokenRenewal, error) {
	if cfg.From.BearerToken == "" {
		return nil, fmt.Errorf("the Gantry kubeconfig holds no token to renew")
	}
	info, err := serviceaccount.ReadUnverified(cfg.From.BearerToken)
	if err != nil {
		return nil, err
	}
	r := &TokenRenewal{renewAfter: cfg.RenewAfter, token: cfg.From.BearerToken, info: info, now: time.Now}
	if cfg.Secret != "" {
		ns, name, ok := strings.Cut(cfg.Secret, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("token secret %q: want <namespace>/<name>", cfg.Secret)
		}
		r.secretNamespace, r.secretName = ns, name
		if r.down, err = kubernetes.NewForConfig(cfg.To); err != nil {
			return nil, err
		}
		r.adoptSecretToken(ctx)
	}
	base, err := serverBase(cfg.From.Host)
	if err != nil {
		return nil, err
	}
	own := r.configFor(cfg.From)
	own.Host, own.APIPath = base+"/clusters/"+string(r.info.Cluster), ""
	if r.gantry, err = kubernetes.NewForConfig(own); err != nil {
		return nil, err
	}
	return r, nil
}

// adoptSecretToken takes the Secret's token when it is one of the same ServiceAccount that lives longer than ours.
// The Secret may be missing or unreadable (a syncer run outside the cluster): then the given token stands.
func (r *TokenRenewal) adoptSecretToken(ctx context.Context) {
	secret, err := r.down.CoreV1().Secrets(r.secretNamespace).Get(ctx, r.secretName, metav1.GetOptions{})
	if err != nil {
		klog.FromContext(ctx).Info("Cannot read the token Secret; starting with the kubeconfig's token", "secret", r.secretNamespace+"/"+r.secretName, "err", err)
		return
	}
	kc, err := clientcmd.Load(secret.Data[TokenSecretKey])
	if err != nil {
		return
	}
	for _, auth := range kc.AuthInfos {
		info, err := serviceaccount.ReadUnverified(auth.Token)
		if err == nil && info.Cluster == r.info.Cluster && info.Namespace == r.info.Namespace && info.Name == r.info.Name &&
			info.Expires.After(r.info.Expires) {
			r.token, r.info, r.written = auth.Token, info, true
		}
	}
}

// configFor returns a copy of cfg that authenticates with the current token on every request.
func (r *TokenRenewal) configFor(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.BearerToken, out.BearerTokenFile = "", ""
	out.Wrap(transport.TokenSourceWrapTransport(r))
	return out
}

// Use makes cfg (the syncer's Gantry config) authenticate with the current token on every request, so that the
// clients built from it pick up each renewal without being rebuilt.
func (r *TokenRenewal) Use(cfg *rest.Config) {
	*cfg = *r.configFor(cfg)
}

// Token implements oauth2.TokenSource: the current token.
func (r *TokenRenewal) Token() (*oauth2.Token, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return &oauth2.Token{AccessToken: r.token, TokenType: "Bearer"}, nil
}

// renewIn is how long after now a token issued at issued and expiring at expires is renewed: after renewAfter
// when that is positive, else at RenewAtLifeFraction of its life; never later than its expiry, never negative.
func renewIn(issued, expires, now time.Time, renewAfter time.Duration) time.Duration {
	at := issued.Add(time.Duration(float64(expires.Sub(issued)) * RenewAtLifeFraction))
	if renewAfter > 0 {
		at = issued.Add(renewAfter)
	}
	if at.After(expires) {
		at = expires
	}
	if d := at.Sub(now); d > 0 {
		return d
	}
	return 0
}

// retryPeriod is how long a failed renewal or Secret write waits before the next try.
const retryPeriod = 5 * time.Second

// Run renews the token until ctx ends. A failed renewal is retried every retryPeriod: the current token keeps
// working until it expires.
func (r *TokenRenewal) Run(ctx context.Context) {
	logger := klog.FromContext(ctx).WithName("token")
	for {
		r.mu.RLock()
		wait := renewIn(r.info.IssuedAt, r.info.Expires, r.now(), r.renewAfter)
		pendingWrite := r.down != nil && !r.written
		r.mu.RUnlock()
		if pendingWrite {
			if err := r.writeSecret(ctx); err != nil {
				logger.Error(err, "Writing the renewed token into the downstream Secret failed; will retry", "secret", r.secretNamespace+"/"+r.secretName)
				wait = min(wait, retryPeriod)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if r.renewDue() {
			if err := r.renew(ctx); err != nil {
				logger.Error(err, "Renewing the syncer's token failed; will retry", "expires", r.info.Expires)
				select {
				case <-ctx.Done():
					return
				case <-time.After(retryPeriod):
				}
			}
		}
	}
}

// renewDue reports whether the current token is due for renewal (a Secret retry may wake Run earlier).
func (r *TokenRenewal) renewDue() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return renewIn(r.info.IssuedAt, r.info.Expires, r.now(), r.renewAfter) == 0
}

// renew asks Gantry for a token of the same ServiceAccount and life as the current one, and makes it current.
func (r *TokenRenewal) renew(ctx context.Context) error {
	r.mu.RLock()
	info := r.info
	r.mu.RUnlock()
	seconds := int64(info.Expires.Sub(info.IssuedAt) / time.Second)
	tr, err := r.gantry.CoreV1().ServiceAccounts(info.Namespace).CreateToken(ctx, info.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("requesting a token of serviceaccount %s/%s: %w", info.Namespace, info.Name, err)
	}
	fresh, err := serviceaccount.ReadUnverified(tr.Status.Token)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.token, r.info, r.written = tr.Status.Token, fresh, false
	r.mu.Unlock()
	klog.FromContext(ctx).V(2).Info("Renewed the syncer's token", "serviceaccount", info.Namespace+"/"+info.Name, "expires", fresh.Expires)
	return nil
}

// writeSecret puts the current token into the kubeconfig of the downstream Secret, in place of the token of every
// user that has one: the Secret holds the kubeconfig `kubectl gantry sync` rendered, whose one user is the syncer.
func (r *TokenRenewal) writeSecret(ctx context.Context) error {
	r.mu.RLock()
	token := r.token
	r.mu.RUnlock()
	err := wait.ExponentialBackoff(wait.Backoff{Steps: 3, Duration: 100 * time.Millisecond, Factor: 2}, func() (bool, error) {
		secret, err := r.down.CoreV1().Secrets(r.secretNamespace).Get(ctx, r.secretName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		kc, err := clientcmd.Load(secret.Data[TokenSecretKey])
		if err != nil {
			return false, fmt.Errorf("the Secret's %q is no kubeconfig: %w", TokenSecretKey, err)
		}
		replaced := false
		for _, auth := range kc.AuthInfos {
			if auth.Token != "" {
				auth.Token, replaced = token, true
			}
		}
		if !replaced {
			return false, fmt.Errorf("the Secret's kubeconfig has no user with a token")
		}
		data, err := clientcmd.Write(*kc)
		if err != nil {
			return false, err
		}
		if secret.Data == nil {
			secret.Data = map[string][]byte{}
		}
		secret.Data[TokenSecretKey] = data
		_, err = r.down.CoreV1().Secrets(r.secretNamespace).Update(ctx, secret, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.token == token {
		r.written = true
	}
	r.mu.Unlock()
	return nil
}

var _ oauth2.TokenSource = &TokenRenewal{}
