package serving

import (
	"fmt"
	"strings"
)

// The kinds the commands take, as TYPE/NAME.
const (
	kindService = "isvc"
	kindModel   = "model"
)

// typeAliases are the spellings of each kind kubectl accepts: short name, singular, plural, with the group.
var typeAliases = map[string]string{
	"isvc": kindService, "inferenceservice": kindService, "inferenceservices": kindService,
	"inferenceservice.serving.gantry.dev": kindService, "inferenceservices.serving.gantry.dev": kindService,
	"model": kindModel, "models": kindModel, "model.serving.gantry.dev": kindModel, "models.serving.gantry.dev": kindModel,
}

// ParseTarget splits TYPE/NAME and returns the kind (kindService or kindModel) and name; allowed limits the kinds.
func ParseTarget(arg string, allowed ...string) (kind, name string, err error) {
	typ, name, found := strings.Cut(arg, "/")
	kind = typeAliases[strings.ToLower(typ)]
	if !found || name == "" || kind == "" {
		return "", "", fmt.Errorf("%q is not TYPE/NAME: use %s", arg, examples(allowed))
	}
	for _, a := range allowed {
		if a == kind {
			return kind, name, nil
		}
	}
	return "", "", fmt.Errorf("%q: this command takes %s", arg, examples(allowed))
}

func examples(allowed []string) string {
	out := make([]string, len(allowed))
	for i, a := range allowed {
		out[i] = a + "/NAME"
	}
	return strings.Join(out, " or ")
}
