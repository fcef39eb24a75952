package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// The conventions of README.md that this test reads. A fenced ```sh block runs unless the line before it (blank
// lines aside) starts with readmeSkip, an HTML comment that readers of the rendered page do not see. In a block,
// a command followed by readmeOutput must print exactly the text after it, and one followed by readmeFails must
// fail with an error containing the text after it.
const (
	readmeSkip   = "<!-- readme-test: skip"
	readmeOutput = "# => "
	readmeFails  = "# fails: "
)

// readmeBlock is one fenced shell block of README.md.
type readmeBlock struct {
	// Line is the line of the opening fence.
	Line int
	// Skip says the block is marked not to run.
	Skip bool
	// Lines are the block's lines, without the fences.
	Lines []string
}

// TestREADME runs the shell blocks of README.md, in order and as written, against a real server, the way a reader
// follows them in one terminal from the repository root, so that the README cannot rot.
func TestREADME(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := readmeBlocks(string(data))
	require.NotEmpty(t, blocks)

	s := harness.Start(t, harness.WithServingProvider) // "Serve a model" binds root:serving
	dir := readmeRepoRoot(t, s)
	state := filepath.Join(t.TempDir(), "env")
	require.NoError(t, os.WriteFile(state, nil, 0o600))
	for _, b := range blocks {
		if b.Skip {
			continue
		}
		if !t.Run(fmt.Sprintf("README.md:%d", b.Line), func(t *testing.T) { runReadmeBlock(t, dir, state, b) }) {
			t.Fatalf("README.md:%d failed; the blocks after it depend on it", b.Line)
		}
	}
}

// readmeRepoRoot returns a directory that looks like the repository root after `make run`: config/ (the real
// one), bin/ with the kubectl plugins, and .gantry/admin.kubeconfig, a copy of the server's admin kubeconfig that
// the README's commands may change (kubectl ws does).
func readmeRepoRoot(t *testing.T, s *harness.Server) string {
	t.Helper()
	dir := t.TempDir()
	config, err := filepath.Abs(filepath.Join("..", "..", "config"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(config, filepath.Join(dir, "config")))
	require.NoError(t, os.Symlink(harness.PluginDir(t), filepath.Join(dir, "bin")))
	kubeconfig, err := os.ReadFile(s.Kubeconfig())
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".gantry"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".gantry", "admin.kubeconfig"), kubeconfig, 0o600))
	return dir
}

// runReadmeBlock runs one block with bash in dir. The environment the block exports is kept in the file state
// for the next block, as in one terminal.
func runReadmeBlock(t *testing.T, dir, state string, b readmeBlock) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := readmePrelude + "__state=" + shellQuote(state) + "\nsource \"$__state\"\ntrap 'export -p > \"$__state\"' EXIT\n" +
		readmeScript(b)
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second // kubectl children of a killed bash must not hold its output open
	cmd.Env = []string{
		"HOME=" + dir, // kubectl's discovery cache is the test's own
		"PATH=" + filepath.Dir(harness.KubectlPath()) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "README.md:%d:\n%s\n--- output:\n%s", b.Line, strings.Join(b.Lines, "\n"), out)
	t.Logf("%s", out)
}

// readmePrelude stops a block at its first failing command and defines the checks readmeScript calls.
const readmePrelude = `set -euo pipefail
__fail() { echo "README.md:$1: $2" >&2; exit 1; }
__expect() { local got; got=$(cat); printf '%s\n' "$got"; [[ "$got" == "$2" ]] || __fail "$1" "printed '$got', the README says '$2'"; }
__contains() { printf '%s\n' "$2"; [[ "$2" == *"$3"* ]] || __fail "$1" "failed without '$3'"; }
`

// readmeBlocks returns the fenced sh blocks of a Markdown document.
func readmeBlocks(markdown string) []readmeBlock {
	var blocks []readmeBlock
	var current *readmeBlock
	previous := ""
	scanner := bufio.NewScanner(strings.NewReader(markdown))
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		switch {
		case current != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *current)
			current = nil
		case current != nil:
			current.Lines = append(current.Lines, line)
		case line == "```sh" || line == "```bash":
			current = &readmeBlock{Line: n, Skip: strings.HasPrefix(previous, readmeSkip)}
		}
		if strings.TrimSpace(line) != "" {
			previous = strings.TrimSpace(line)
		}
	}
	return blocks
}

// readmeScript returns the block as a bash script in which the commands that the README shows an output or an
// error for check it. Heredoc bodies are left as they are.
func readmeScript(b readmeBlock) string {
	var script strings.Builder
	heredocEnd := ""
	for i, line := range b.Lines {
		n := b.Line + 1 + i
		switch {
		case heredocEnd != "":
			if line == heredocEnd {
				heredocEnd = ""
			}
		case strings.Contains(line, readmeOutput):
			command, want, _ := strings.Cut(line, readmeOutput)
			line = fmt.Sprintf("{ %s; } | __expect %d %s", strings.TrimSpace(command), n, shellQuote(strings.TrimSpace(want)))
		case strings.Contains(line, readmeFails):
			command, want, _ := strings.Cut(line, readmeFails)
			line = fmt.Sprintf("if __out=$({ %s; } 2>&1); then __fail %d 'succeeded; the README says it fails'; fi; __contains %d \"$__out\" %s",
				strings.TrimSpace(command), n, n, shellQuote(strings.TrimSpace(want)))
		default:
			heredocEnd = heredocDelimiter(line)
		}
		script.WriteString(line + "\n")
	}
	return script.String()
}

// heredocDelimiter returns the word that ends a heredoc started on line (<<'WORD', <<"WORD" or <<WORD), or "".
func heredocDelimiter(line string) string {
	_, rest, ok := strings.Cut(line, "<<")
	if !ok {
		return ""
	}
	rest = strings.TrimPrefix(rest, "-")
	word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return strings.Trim(word, `'"`)
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TestReadmeScript pins the conventions the README test reads, without a server.
func TestReadmeScript(t *testing.T) {
	blocks := readmeBlocks("# T\n\n<!-- readme-test: skip (why) -->\n\n```sh\nmake run\n```\n\n```sh\n" +
		"kubectl create -f - <<'YAML'\nkind: X # => not a check\nYAML\n" +
		"kubectl get x -o name   # => x/it's\nkubectl get y   # fails: not found\n```\n")
	require.Len(t, blocks, 2)
	assert.True(t, blocks[0].Skip)
	assert.Equal(t, 5, blocks[0].Line)
	assert.False(t, blocks[1].Skip)
	assert.Equal(t, "kubectl create -f - <<'YAML'\nkind: X # => not a check\nYAML\n"+
		`{ kubectl get x -o name; } | __expect 13 'x/it'\''s'`+"\n"+
		`if __out=$({ kubectl get y; } 2>&1); then __fail 14 'succeeded; the README says it fails'; fi; __contains 14 "$__out" 'not found'`+"\n",
		readmeScript(blocks[1]))
}
