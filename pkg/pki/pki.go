package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	// AdminUser is the common name of the admin client certificate.
	AdminUser = "gantry-admin"
	// AdminGroup is the group of the admin: it may do anything, the wildcard workspace included.
	AdminGroup = "system:masters"

	validity = 10 * 365 * 24 * time.Hour
)

// Files are the paths of the generated files inside a data directory.
type Files struct {
	CACert, CAKey           string
	ServingCert, ServingKey string
	AdminCert, AdminKey     string
	AdminKubeconfig         string
	// ServiceAccountKey signs ServiceAccount tokens.
	ServiceAccountKey string
}

// FilesIn returns the file paths for a data directory.
func FilesIn(dir string) Files {
	p := func(name string) string { return filepath.Join(dir, name) }
	return Files{
		CACert: p("ca.crt"), CAKey: p("ca.key"),
		ServingCert: p("serving.crt"), ServingKey: p("serving.key"),
		AdminCert: p("admin.crt"), AdminKey: p("admin.key"),
		AdminKubeconfig:   p("admin.kubeconfig"),
		ServiceAccountKey: p("serviceaccount.key"),
	}
}

// Ensure creates whatever of the files is missing in dir and returns their paths. The serving certificate is
// renewed when it does not cover host. The admin kubeconfig is written to kubeconfig (empty: admin.kubeconfig in
// dir), pointing at serverURL: replicas sharing dir each write their own.
func Ensure(dir, kubeconfig, host, serverURL string) (Files, error) {
	f := FilesIn(dir)
	if kubeconfig != "" {
		f.AdminKubeconfig = kubeconfig
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, err
	}
	caCert, caKey, err := ensureCA(f)
	if err != nil {
		return f, fmt.Errorf("certificate authority: %w", err)
	}
	if err := ensureServing(f, caCert, caKey, host); err != nil {
		return f, fmt.Errorf("serving certificate: %w", err)
	}
	if !exists(f.AdminCert) || !exists(f.AdminKey) {
		if err := issue(f.AdminCert, f.AdminKey, caCert, caKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}); err != nil {
			return f, fmt.Errorf("admin certificate: %w", err)
		}
	}
	if !exists(f.ServiceAccountKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return f, err
		}
		keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
		if err != nil {
			return f, err
		}
		if err := keyutil.WriteKey(f.ServiceAccountKey, keyPEM); err != nil {
			return f, fmt.Errorf("service account key: %w", err)
		}
	}
	if err := writeKubeconfig(f, serverURL); err != nil {
		return f, fmt.Errorf("admin kubeconfig: %w", err)
	}
	return f, nil
}

func ensureCA(f Files) (*x509.Certificate, crypto.Signer, error) {
	if exists(f.CACert) && exists(f.CAKey) {
		certs, err := certutil.CertsFromFile(f.CACert)
		if err != nil {
			return nil, nil, err
		}
		key, err := keyutil.PrivateKeyFromFile(f.CAKey)
		if err != nil {
			return nil, nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("%s is not a signing key", f.CAKey)
		}
		return certs[0], signer, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "gantry-ca"}, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKeyPair(f.CACert, f.CAKey, cert, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func ensureServing(f Files, caCert *x509.Certificate, caKey crypto.Signer, host string) error {
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback}
	dns := []string{"localhost"}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsUnspecified() {
			ips = append(ips, ip)
		}
	} else if host != "" {
		dns = append(dns, host)
	}
	if exists(f.ServingCert) && exists(f.ServingKey) {
		if certs, err := certutil.CertsFromFile(f.ServingCert); err == nil && covers(certs[0], host) && certs[0].NotAfter.After(time.Now().Add(24*time.Hour)) {
			return nil
		}
	}
	return issue(f.ServingCert, f.ServingKey, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "gantry"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: ips,
		DNSNames:    dns,
	})
}

func covers(cert *x509.Certificate, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsUnspecified() || slices.ContainsFunc(cert.IPAddresses, ip.Equal)
	}
	return slices.Contains(cert.DNSNames, host)
}

func issue(certPath, keyPath string, caCert *x509.Certificate, caKey crypto.Signer, tmpl *x509.Certificate) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Minute).UTC()
	tmpl.NotAfter = time.Now().Add(validity).UTC()
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	return writeKeyPair(certPath, keyPath, cert, key)
}

func writeKeyPair(certPath, keyPath string, cert *x509.Certificate, key crypto.Signer) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	if err := keyutil.WriteKey(keyPath, keyPEM); err != nil {
		return err
	}
	certPEM, err := certutil.EncodeCertificates(cert)
	if err != nil {
		return err
	}
	return certutil.WriteCert(certPath, certPEM)
}

func writeKubeconfig(f Files, serverURL string) error {
	caPEM, err := os.ReadFile(f.CACert)
	if err != nil {
		return err
	}
	certPEM, err := os.ReadFile(f.AdminCert)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(f.AdminKey)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["root"] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts["root"] = &clientcmdapi.Context{Cluster: "root", AuthInfo: "admin"}
	cfg.CurrentContext = "root"
	return clientcmd.WriteToFile(*cfg, f.AdminKubeconfig)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ServiceAccountSigningKey loads the key that signs ServiceAccount tokens.
func ServiceAccountSigningKey(f Files) (*ecdsa.PrivateKey, error) {
	key, err := keyutil.PrivateKeyFromFile(f.ServiceAccountKey)
	if err != nil {
		return nil, err
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an ECDSA key", f.ServiceAccountKey)
	}
	return ecKey, nil
}
