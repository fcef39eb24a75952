package wsnav

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// CheckReachable returns an error naming the workspace and the fix unless the user of cfg (a config of workspace
// ws) can enter it.
func CheckReachable(ctx context.Context, cfg *rest.Config, ws logicalcluster.Path) error {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/api", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach workspace %q: %w", ws, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return fmt.Errorf("the server did not accept your credentials for workspace %q: check the user of your kubeconfig context", ws)
	default:
		// A workspace that does not exist and one the user may not enter answer alike, by design.
		return fmt.Errorf("workspace %q does not exist or you have no access to it: ask its owner for a binding there, or check the path with `kubectl ws tree`", ws)
	}
}
