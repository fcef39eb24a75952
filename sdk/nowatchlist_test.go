package sdk

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/watchlist"
)

type ctxKey struct{}

func TestListOnly(t *testing.T) {
	var seen any
	lw := ListOnly(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, _ metav1.ListOptions) (runtime.Object, error) {
			seen = ctx.Value(ctxKey{})
			return &corev1.ConfigMapList{}, nil
		},
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) {
			return watch.NewEmptyWatch(), nil
		},
	})
	assert.True(t, watchlist.DoesClientNotSupportWatchListSemantics(lw), "a reflector must not use the watch-list")

	withCtx, ok := lw.(cache.ListerWatcherWithContext)
	require.True(t, ok, "the context-aware list and watch are kept")
	_, err := withCtx.ListWithContext(context.WithValue(context.Background(), ctxKey{}, "mine"), metav1.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, "mine", seen)

	_, err = lw.List(metav1.ListOptions{})
	require.NoError(t, err)
}
