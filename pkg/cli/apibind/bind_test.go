package apibind

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

func TestParseExportReference(t *testing.T) {
	path, name, err := ParseExportReference("root:provider:widgets")
	require.NoError(t, err)
	assert.Equal(t, "root:provider", path)
	assert.Equal(t, "widgets", name)
	path, name, err = ParseExportReference("widgets")
	require.NoError(t, err)
	assert.Empty(t, path)
	assert.Equal(t, "widgets", name)
	for _, bad := range []string{"root:Bad Path:widgets", "root:provider:"} {
		_, _, err = ParseExportReference(bad)
		assert.Error(t, err, bad)
	}
}

// bindingsBecome makes every read of an APIBinding answer with status set by mutate.
func bindingsBecome(client *fake.Clientset, mutate func(*apisv1alpha1.APIBinding)) {
	client.PrependReactor("get", "apibindings", func(action clienttesting.Action) (bool, runtime.Object, error) {
		obj, err := client.Tracker().Get(action.GetResource(), "", action.(clienttesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		b := obj.(*apisv1alpha1.APIBinding).DeepCopy()
		mutate(b)
		return true, b, nil
	})
}

func TestBindWaitsUntilBound(t *testing.T) {
	client := fake.NewSimpleClientset()
	bindingsBecome(client, func(b *apisv1alpha1.APIBinding) {
		b.Status.Phase = apisv1alpha1.APIBindingPhaseBound
		b.Status.BoundResources = []apisv1alpha1.BoundAPIResource{{Group: "example.com", Resource: "widgets"}}
	})
	var out bytes.Buffer
	bound, err := Bind(context.Background(), client, "root:provider:widgets", "", time.Second, &out)
	require.NoError(t, err)
	assert.Equal(t, "widgets", bound.Name)
	assert.Equal(t, &apisv1alpha1.ExportBindingReference{Path: "root:provider", Name: "widgets"}, bound.Spec.Reference.Export)
	assert.Equal(t, "apibinding.apis.gantry.dev/widgets created, waiting for it to be bound\n"+
		"apibinding.apis.gantry.dev/widgets bound: widgets.example.com\n", out.String())

	_, err = Bind(context.Background(), client, "root:provider:widgets", "", time.Second, &out)
	assert.EqualError(t, err, `an APIBinding "widgets" exists already: choose another with --name`)
}

func TestBindReportsConflictsAndTimeouts(t *testing.T) {
	client := fake.NewSimpleClientset()
	bindingsBecome(client, func(b *apisv1alpha1.APIBinding) {
		if b.Name == "clash" {
			meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: apisv1alpha1.APIBindingNamesAccepted,
				Status: metav1.ConditionFalse, Reason: "Conflict", Message: "widgets.example.com is taken"})
		}
	})
	var out bytes.Buffer
	_, err := Bind(context.Background(), client, "root:p:widgets", "clash", time.Second, &out)
	assert.EqualError(t, err, `APIBinding "clash" cannot be applied: widgets.example.com is taken`)
	_, err = Bind(context.Background(), client, "root:p:widgets", "slow", 200*time.Millisecond, &out)
	assert.EqualError(t, err, `APIBinding "slow" was not bound within 200ms: no status yet`)
}
