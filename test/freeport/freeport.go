// Package freeport picks TCP ports for the processes the tests start (gantry, etcd, a test cluster's components).
//
// A port the kernel hands out for "127.0.0.1:0" comes from the ephemeral range, which every outgoing connection on
// the machine also draws from: between picking it and the process binding it, a client socket may take it, and the
// process then fails with "address already in use". Ports below the ephemeral range are never used that way, so
// Pick chooses there, checks that nothing listens, and never hands out one port twice in a process.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// lowest is the first port Pick considers: above the well-known and most registered service ports.
const lowest = 10000

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Pick returns a port on 127.0.0.1 that nothing listens on, below the ephemeral range, that this process has not
// handed out before. It falls back to a kernel-chosen port when that range is too small.
func Pick() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	if high := ephemeralLow(); high-lowest >= 1000 {
		for range 200 {
			port := lowest + rand.IntN(high-lowest)
			if handed[port] || !free(port) {
				continue
			}
			handed[port] = true
			return port, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	handed[port] = true
	return port, nil
}

// free reports whether nothing listens on the port.
func free(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux), or 32768, the usual one.
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return low
}
