package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const (
	// Issuer is the issuer and audience of Gantry's ServiceAccount tokens.
	Issuer = "https://gantry.dev/serviceaccounts"
	// MaxExpiration bounds how long a requested token lives.
	MaxExpiration = 48 * time.Hour
	// DefaultExpiration is used when a TokenRequest asks for no particular duration.
	DefaultExpiration = time.Hour
)

// claims are the claims of a ServiceAccount token.
type claims struct {
	jwt.RegisteredClaims
	Cluster   string `json:"gantry.dev/cluster"`
	Namespace string `json:"gantry.dev/namespace"`
	Name      string `json:"gantry.dev/serviceaccount"`
	UID       string `json:"gantry.dev/uid"`
}

// UserName is the user a ServiceAccount authenticates as.
func UserName(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Tokens issues and authenticates ServiceAccount tokens signed with one key.
type Tokens struct {
	// Key signs tokens; its public half checks them.
	Key *ecdsa.PrivateKey
	// Accounts is the index of every workspace's ServiceAccounts.
	Accounts *clusterwatch.Store[*corev1.ServiceAccount]
}

// Issue returns a signed token for a ServiceAccount of a workspace and when it expires.
func (t *Tokens) Issue(cluster logicalcluster.Name, namespace, name, uid string, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		ttl = DefaultExpiration
	}
	if ttl > MaxExpiration {
		ttl = MaxExpiration
	}
	now := time.Now()
	exp := now.Add(ttl)
	token := jwt.NewWithClaims(jwt.SigningMethodES256, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Audience: jwt.ClaimStrings{Issuer}, Subject: UserName(namespace, name),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		Cluster: string(cluster), Namespace: namespace, Name: name, UID: uid,
	})
	signed, err := token.SignedString(t.Key)
	return signed, exp, err
}

// AuthenticateToken implements authenticator.Token. A token that is not one of Gantry's ServiceAccount tokens is
// left to the other authenticators; one of another workspace, expired, or of a deleted ServiceAccount is refused.
func (t *Tokens) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (interface{}, error) { return &t.Key.PublicKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithIssuer(Issuer), jwt.WithAudience(Issuer),
		jwt.WithExpirationRequired())
	if err != nil {
		return nil, false, nil
	}
	cluster, ok := logicalcluster.CredentialCluster(ctx)
	if !ok || string(cluster) != c.Cluster {
		// Valid, but for another workspace (or none): the token grants nothing here.
		return nil, false, fmt.Errorf("the ServiceAccount token is not valid in this workspace")
	}
	sa, found := t.Accounts.Get(cluster, c.Namespace+"/"+c.Name)
	if !found || string(sa.UID) != c.UID {
		return nil, false, fmt.Errorf("the ServiceAccount of the token no longer exists")
	}
	return &authenticator.Response{User: &user.DefaultInfo{
		Name:   UserName(c.Namespace, c.Name),
		UID:    c.UID,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + c.Namespace},
	}}, true, nil
}

// TokenInfo is what a ServiceAccount token says about itself.
type TokenInfo struct {
	// Cluster is the logical cluster of the workspace the token is valid in.
	Cluster logicalcluster.Name
	// Namespace and Name are the ServiceAccount's.
	Namespace, Name string
	// IssuedAt and Expires bound the token's life.
	IssuedAt, Expires time.Time
}

// ReadUnverified reads a ServiceAccount token's claims without checking its signature, for its holder: the syncer
// learns from its own token which ServiceAccount to renew it for and when. Only the server, which holds the key,
// decides whether a token is valid.
func ReadUnverified(token string) (TokenInfo, error) {
	var c claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return TokenInfo{}, fmt.Errorf("not a Gantry ServiceAccount token: %w", err)
	}
	if c.Issuer != Issuer || c.Namespace == "" || c.Name == "" || c.IssuedAt == nil || c.ExpiresAt == nil {
		return TokenInfo{}, fmt.Errorf("not a Gantry ServiceAccount token (issuer %q, serviceaccount %q/%q)", c.Issuer, c.Namespace, c.Name)
	}
	return TokenInfo{Cluster: logicalcluster.Name(c.Cluster), Namespace: c.Namespace, Name: c.Name,
		IssuedAt: c.IssuedAt.Time, Expires: c.ExpiresAt.Time}, nil
}
