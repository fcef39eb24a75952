// Command printversion prints the GitVersion that buildversion.Get derives in the binary it is built into, for
// TestBuiltBinary.
package main

import (
	"fmt"

	"github.com/gantry-dev/gantry/pkg/buildversion"
)

func main() {
	fmt.Print(buildversion.Get("1.37").GitVersion)
}
