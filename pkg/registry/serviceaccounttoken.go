package registry

import (
	"context"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// TokenIssuer signs ServiceAccount tokens valid in one workspace.
type TokenIssuer interface {
	Issue(cluster logicalcluster.Name, namespace, name, uid string, ttl time.Duration) (string, time.Time, error)
}

// tokenREST serves serviceaccounts/token: a TokenRequest for an existing ServiceAccount returns a token that works
// in the request's workspace only (kubectl create token).
type tokenREST struct {
	accounts rest.Getter
	issuer   TokenIssuer
}

var (
	_ rest.NamedCreater             = &tokenREST{}
	_ rest.GroupVersionKindProvider = &tokenREST{}
)

func (r *tokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }
func (r *tokenREST) Destroy()            {}

// GroupVersionKind implements rest.GroupVersionKindProvider: the subresource speaks TokenRequest.
func (r *tokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")
}

// Create implements rest.NamedCreater.
func (r *tokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	req := obj.(*authenticationv1.TokenRequest)
	if createValidation != nil {
		if err := createValidation(ctx, obj); err != nil {
			return nil, err
		}
	}
	got, err := r.accounts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := got.(*corev1.ServiceAccount)
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil, apierrors.NewBadRequest("a token is issued in one workspace")
	}
	ttl := time.Duration(0)
	if req.Spec.ExpirationSeconds != nil {
		if *req.Spec.ExpirationSeconds < 600 {
			return nil, apierrors.NewBadRequest("spec.expirationSeconds must be at least 600")
		}
		ttl = time.Duration(*req.Spec.ExpirationSeconds) * time.Second
	}
	token, exp, err := r.issuer.Issue(cluster, sa.Namespace, sa.Name, string(sa.UID), ttl)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	out := req.DeepCopy()
	out.Status = authenticationv1.TokenRequestStatus{Token: token, ExpirationTimestamp: metav1.NewTime(exp)}
	return out, nil
}
