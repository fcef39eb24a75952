package logicalcluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// AnnotationKey is the annotation every stored object carries: the logical cluster it is stored in.
const AnnotationKey = "gantry.dev/cluster"

// Name is the logical cluster name of a workspace, as used in storage keys.
type Name string

// Path is a colon-separated workspace path such as root:ml:team-a.
type Path string

const (
	// Root is the logical cluster name (and path) of the root workspace.
	Root Name = "root"
	// RootPath is the path of the root workspace.
	RootPath Path = "root"
	// Wildcard stands for every workspace at once; only cluster-wide LIST and WATCH accept it.
	Wildcard Name = "*"

	// maxNameLength bounds a logical cluster name; generated names are generatedNameLength long.
	maxNameLength       = 32
	generatedNameLength = 13
	// MaxWorkspaceNameLength bounds one path segment, like a DNS label.
	MaxWorkspaceNameLength = 63
	// MaxPathSegments bounds the depth of a workspace path.
	MaxPathSegments = 16
)

var (
	clusterNameRE   = regexp.MustCompile(`^[a-z0-9]+$`)
	workspaceNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

// String returns the name.
func (n Name) String() string { return string(n) }

// String returns the path.
func (p Path) String() string { return string(p) }

// ValidateName returns why s is not a valid logical cluster name, or nil. The wildcard is not a name.
func ValidateName(s string) error {
	if s == "" {
		return fmt.Errorf("logical cluster name must not be empty")
	}
	if len(s) > maxNameLength {
		return fmt.Errorf("logical cluster name %q is longer than %d characters", truncate(s), maxNameLength)
	}
	if !clusterNameRE.MatchString(s) {
		return fmt.Errorf("logical cluster name %q must consist of lower case letters and digits only", truncate(s))
	}
	return nil
}

// ValidateWorkspaceName returns why s is not a valid workspace name (one path segment), or nil.
func ValidateWorkspaceName(s string) error {
	if s == "" {
		return fmt.Errorf("workspace name must not be empty")
	}
	if len(s) > MaxWorkspaceNameLength {
		return fmt.Errorf("workspace name %q is longer than %d characters", truncate(s), MaxWorkspaceNameLength)
	}
	if !workspaceNameRE.MatchString(s) {
		return fmt.Errorf("workspace name %q must consist of lower case letters, digits and '-', and start and end with a letter or digit", truncate(s))
	}
	return nil
}

// ParsePath validates s as a workspace path and returns it. A path starts with "root" and has at most
// MaxPathSegments segments, each a valid workspace name.
func ParsePath(s string) (Path, error) {
	segments := strings.Split(s, ":")
	if len(segments) > MaxPathSegments {
		return "", fmt.Errorf("workspace path %q has more than %d segments", truncate(s), MaxPathSegments)
	}
	if segments[0] != string(RootPath) {
		return "", fmt.Errorf("workspace path %q must start with %q", truncate(s), RootPath)
	}
	for _, seg := range segments {
		if err := ValidateWorkspaceName(seg); err != nil {
			return "", fmt.Errorf("workspace path %q: %w", truncate(s), err)
		}
	}
	return Path(s), nil
}

// Join returns the path of the child workspace called name.
func (p Path) Join(name string) Path { return Path(string(p) + ":" + name) }

// Parent returns the parent path and true, or "" and false for a top-level path.
func (p Path) Parent() (Path, bool) {
	i := strings.LastIndex(string(p), ":")
	if i < 0 {
		return "", false
	}
	return p[:i], true
}

// Base returns the last segment of the path: the workspace's name in its parent.
func (p Path) Base() string {
	return string(p[strings.LastIndex(string(p), ":")+1:])
}

// Reference is what a client wrote after /clusters/: a path, a logical cluster name, or the wildcard.
type Reference struct {
	// Path is set when the reference is a workspace path.
	Path Path
	// Name is set when the reference is a logical cluster name or the wildcard.
	Name Name
}

// ParseReference validates what follows /clusters/ in a URL. A reference containing ':' or equal to "root" is a
// path; "*" is the wildcard; anything else must be a logical cluster name.
func ParseReference(s string) (Reference, error) {
	switch {
	case s == string(Wildcard):
		return Reference{Name: Wildcard}, nil
	case s == string(RootPath) || strings.Contains(s, ":"):
		p, err := ParsePath(s)
		return Reference{Path: p}, err
	default:
		if err := ValidateName(s); err != nil {
			return Reference{}, err
		}
		return Reference{Name: Name(s)}, nil
	}
}

// NewName returns a fresh random logical cluster name: generatedNameLength base36 characters.
func NewName() Name {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, generatedNameLength)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err))
		}
		b[i] = alphabet[n.Int64()]
	}
	// A leading letter keeps generated names from ever looking like a number to YAML readers.
	b[0] = alphabet[10+int(b[0])%26]
	return Name(b)
}

type contextKey struct{}

// WithCluster returns a context that carries the logical cluster of a request.
func WithCluster(ctx context.Context, name Name) context.Context {
	return context.WithValue(ctx, contextKey{}, name)
}

// From returns the logical cluster carried by ctx and whether there was one.
func From(ctx context.Context) (Name, bool) {
	n, ok := ctx.Value(contextKey{}).(Name)
	return n, ok && n != ""
}

type credentialKey struct{}

// WithCredentialCluster returns a context for a request whose ServiceAccount tokens are those of cluster rather
// than of the workspace it acts on: a virtual workspace request acts on the workspaces of its view, but its
// credential belongs to the workspace of the object its path names. An empty cluster accepts no such token.
func WithCredentialCluster(ctx context.Context, name Name) context.Context {
	return context.WithValue(ctx, credentialKey{}, name)
}

// CredentialCluster returns the workspace whose ServiceAccount tokens a request accepts: the one
// WithCredentialCluster set, else the request's own logical cluster; false when there is none.
func CredentialCluster(ctx context.Context) (Name, bool) {
	if n, ok := ctx.Value(credentialKey{}).(Name); ok {
		return n, n != ""
	}
	return From(ctx)
}

func truncate(s string) string {
	const max = 70
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

type unknownKey struct{}

// WithUnknown marks a request for a workspace that does not exist. Such a request carries no cluster; it is
// refused by authorization (with the same answer as an existing workspace the user may not enter), or answered
// 404 for privileged users.
func WithUnknown(ctx context.Context, reference string) context.Context {
	return context.WithValue(ctx, unknownKey{}, reference)
}

// IsUnknown reports whether the request names a workspace that does not exist.
func IsUnknown(ctx context.Context) bool {
	_, ok := ctx.Value(unknownKey{}).(string)
	return ok
}

// UnknownReference returns the reference of a request for a workspace that does not exist.
func UnknownReference(ctx context.Context) string {
	ref, _ := ctx.Value(unknownKey{}).(string)
	return ref
}
