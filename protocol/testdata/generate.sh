#!/usr/bin/env bash
# Regenerates the JOSE test keys and certificates in this directory with the openssl CLI.
# The files are committed; run this only to replace them (every test that pins a kid or a
# thumbprint computed from these keys must then be updated). See README.md.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() {  # key NAME ALGORITHM-OPTIONS...
  openssl genpkey "${@:2}" -out "$1.key.pem" 2>/dev/null
  openssl pkey -in "$1.key.pem" -pubout -out "$1.pub.pem"
}
key rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
key rsa2048_other -algorithm RSA -pkeyopt rsa_keygen_bits:2048
key rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
key ec_p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key ec_p256_other -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key ec_p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
key ec_p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
key ed25519 -algorithm ED25519
key ec_secp256k1 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1
key ca_root -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key ca_intermediate -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key leaf -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key rogue_root -algorithm EC -pkeyopt ec_paramgen_curve:P-256
# A passphrase-protected key: loading it must fail without prompting.
openssl pkey -in ec_p256.key.pem -aes-128-cbc -passout pass:secret -out ec_p256_encrypted.key.pem

cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $work
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

cert() {  # cert OUT SUBJECT-KEY CN ISSUER-KEY ISSUER-CERT|self START END EXT SERIAL
  : >"$work/index.txt"
  echo "$9" >"$work/serial"
  openssl req -new -key "$2.key.pem" -subj "/CN=$3" -out "$work/req.csr"
  if [ "$5" = self ]; then
    openssl ca -batch -notext -config "$work/ca.cnf" -selfsign -keyfile "$4.key.pem" \
      -in "$work/req.csr" -startdate "$6" -enddate "$7" -extensions "$8" -out "$1" 2>/dev/null
  else
    openssl ca -batch -notext -config "$work/ca.cnf" -keyfile "$4.key.pem" -cert "$5" \
      -in "$work/req.csr" -startdate "$6" -enddate "$7" -extensions "$8" -out "$1" 2>/dev/null
  fi
}
from=20200101000000Z
until=21000101000000Z
# The token-signing certificate, self-signed, as GitLab's registry.crt in a rootcertbundle.
cert rsa2048.crt.pem rsa2048 "regauth test token signer" rsa2048 self $from $until leaf_ext 1001
cert ca_root.crt.pem ca_root "regauth test root CA" ca_root self $from $until ca_ext 1002
cert ca_intermediate.crt.pem ca_intermediate "regauth test intermediate CA" ca_root \
  ca_root.crt.pem $from $until ca_ext 1003
cert leaf.crt.pem leaf "regauth test x5c leaf" ca_intermediate ca_intermediate.crt.pem \
  $from $until leaf_ext 1004
cert leaf_expired.crt.pem leaf "regauth test expired leaf" ca_intermediate \
  ca_intermediate.crt.pem $from 20210101000000Z leaf_ext 1005
cert leaf_future.crt.pem leaf "regauth test future leaf" ca_intermediate \
  ca_intermediate.crt.pem 20900101000000Z $until leaf_ext 1006
cert rogue_root.crt.pem rogue_root "regauth test root CA" rogue_root self $from $until ca_ext 1007
cert rogue_leaf.crt.pem leaf "regauth test x5c leaf" rogue_root rogue_root.crt.pem \
  $from $until leaf_ext 1008
echo "generated: $(ls *.pem | wc -l) PEM files"
