// Package serviceaccount issues and checks ServiceAccount tokens. A token names its workspace (the logical
// cluster) and is accepted only in that workspace, only while its ServiceAccount (same UID) exists.
//
// It does not store ServiceAccounts or serve the TokenRequest subresource (pkg/registry) nor create the signing
// key (pkg/pki).
package serviceaccount
