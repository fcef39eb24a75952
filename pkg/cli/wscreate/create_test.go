package wscreate

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

// readyOnRead makes every read of a Workspace answer with it Ready.
func readyOnRead(client *fake.Clientset) {
	client.PrependReactor("get", "workspaces", func(action clienttesting.Action) (bool, runtime.Object, error) {
		obj, err := client.Tracker().Get(action.GetResource(), "", action.(clienttesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		ws := obj.(*tenancyv1alpha1.Workspace).DeepCopy()
		ws.Status.Phase = tenancyv1alpha1.WorkspacePhaseReady
		return true, ws, nil
	})
}

func TestCreate(t *testing.T) {
	client := fake.NewSimpleClientset()
	readyOnRead(client)
	var out bytes.Buffer
	ws, err := Create(context.Background(), client, "root:org", Options{Name: "team-a", Type: "team", Timeout: time.Second}, &out)
	require.NoError(t, err)
	assert.Equal(t, "team", ws.Spec.Type)
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseReady, ws.Status.Phase)
	assert.Equal(t, "Workspace \"team-a\" created in \"root:org\". Waiting for it to be ready...\n"+
		"Workspace \"root:org:team-a\" is ready to use.\n", out.String())

	_, err = Create(context.Background(), client, "root:org", Options{Name: "team-a", Timeout: time.Second}, &out)
	assert.EqualError(t, err, `workspace "team-a" already exists in "root:org": use --ignore-existing to accept it`)
	out.Reset()
	_, err = Create(context.Background(), client, "root:org", Options{Name: "team-a", IgnoreExisting: true, Timeout: time.Second}, &out)
	require.NoError(t, err)
	assert.Contains(t, out.String(), `Workspace "team-a" already exists in "root:org".`)

	_, err = Create(context.Background(), client, "root:org", Options{Name: "Bad_Name", Timeout: time.Second}, &out)
	assert.Error(t, err)
}

func TestCreateTimesOut(t *testing.T) {
	client := fake.NewSimpleClientset(&tenancyv1alpha1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: "slow"}})
	_, err := Create(context.Background(), client, "root", Options{Name: "slow", IgnoreExisting: true, Timeout: 200 * time.Millisecond}, &bytes.Buffer{})
	assert.EqualError(t, err, `workspace "slow" in "root" did not become Ready within 200ms`)
}
