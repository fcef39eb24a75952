package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func sa(cluster, uid string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "runner", UID: types.UID(uid),
		Annotations: map[string]string{logicalcluster.AnnotationKey: cluster}}}
}

func TestTokensAreBoundToTheirWorkspace(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	accounts := clusterwatch.NewStore[*corev1.ServiceAccount]()
	require.NoError(t, accounts.Replace([]interface{}{sa("a", "uid-a"), sa("b", "uid-b")}, "1"))
	tokens := &Tokens{Key: key, Accounts: accounts}
	in := func(c logicalcluster.Name) context.Context {
		return logicalcluster.WithCluster(context.Background(), c)
	}

	token, exp, err := tokens.Issue("a", "default", "runner", "uid-a", 0)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(DefaultExpiration), exp, time.Minute)

	resp, ok, err := tokens.AuthenticateToken(in("a"), token)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "system:serviceaccount:default:runner", resp.User.GetName())
	assert.Contains(t, resp.User.GetGroups(), "system:serviceaccounts:default")

	_, ok, _ = tokens.AuthenticateToken(in("b"), token)
	assert.False(t, ok, "b has a ServiceAccount of the same name, but the token is a's")
	_, ok, _ = tokens.AuthenticateToken(context.Background(), token)
	assert.False(t, ok, "no workspace")
	_, ok, _ = tokens.AuthenticateToken(logicalcluster.WithCredentialCluster(in(logicalcluster.Wildcard), "a"), token)
	assert.True(t, ok, "a virtual workspace request whose object is in a accepts a's tokens")
	_, ok, _ = tokens.AuthenticateToken(logicalcluster.WithCredentialCluster(in("a"), "b"), token)
	assert.False(t, ok, "nor b's in a")
	_, ok, _ = tokens.AuthenticateToken(logicalcluster.WithCredentialCluster(in("a"), ""), token)
	assert.False(t, ok, "a virtual workspace request whose object's workspace is missing accepts none")

	require.NoError(t, accounts.Update(sa("a", "uid-a2")))
	_, ok, _ = tokens.AuthenticateToken(in("a"), token)
	assert.False(t, ok, "a recreated ServiceAccount (new UID) does not inherit old tokens")

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	forged, _, err := (&Tokens{Key: other, Accounts: accounts}).Issue("a", "default", "runner", "uid-a2", 0)
	require.NoError(t, err)
	_, ok, err = tokens.AuthenticateToken(in("a"), forged)
	assert.False(t, ok, "a token signed by another key")
	assert.NoError(t, err, "left to other authenticators")
	_, ok, _ = tokens.AuthenticateToken(in("a"), "not-a-jwt")
	assert.False(t, ok)

	_, long, err := tokens.Issue("a", "default", "runner", "uid-a2", 1000*time.Hour)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(MaxExpiration), long, time.Minute, "expiration is capped")
}

func TestReadUnverifiedTellsTheHolderItsToken(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tokens := &Tokens{Key: key}
	token, exp, err := tokens.Issue("a", "default", "runner", "uid-a", 2*time.Hour)
	require.NoError(t, err)
	info, err := ReadUnverified(token)
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Name("a"), info.Cluster)
	assert.Equal(t, "default", info.Namespace)
	assert.Equal(t, "runner", info.Name)
	assert.WithinDuration(t, exp, info.Expires, time.Second)
	assert.InDelta(t, float64(2*time.Hour), float64(info.Expires.Sub(info.IssuedAt)), float64(time.Second))

	_, err = ReadUnverified("not-a-jwt")
	assert.ErrorContains(t, err, "not a Gantry ServiceAccount token")
}
