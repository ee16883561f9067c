#!/usr/bin/env bash
# Makes every certificate the TLS tests use, with the openssl CLI, into the directory given
# as $1 (created if missing). Usage: make_certificates.sh <dir> [openssl binary]
#
#   ca.pem, ca-key.pem              "Test CA" (ECDSA P-256), signs everything below unless noted
#   other-ca.pem, other-ca-key.pem  "Other CA", unrelated to the first
#   server-rsa / server-ecdsa / server-ed25519 .pem, -key.pem
#                                   CN=localhost, SAN DNS:localhost and IP:127.0.0.1; RSA 2048,
#                                   ECDSA P-256, Ed25519
#   server-next                     as server-ecdsa with CN=next.localhost (the reload test swaps
#                                   it in)
#   server-wrong-host               CN=wrong.example.com, SAN DNS:wrong.example.com only
#   server-expired                  as server-ecdsa, valid 2020-01-01 to 2021-01-01
#   client                          CN=client,O=Acme
#   client-dn                       subject /O=Acme/OU=eng/CN=alice, i.e. "CN=alice,OU=eng,O=Acme"
#   client-email                    CN=bob, SAN email:bob@example.com
#   client-dns                      CN=carol, SAN DNS:carol.example.com
#   client-utf8                     CN=José (UTF-8), O=Acme
#   client-literal-plus             one CN holding "dave+OU=ops" (not a multi-valued RDN), O=Acme
#   client-email-dn                 /O=Acme/CN=erin/emailAddress=erin@acme.test
#   client-dc                       /DC=test/DC=acme/O=Acme/CN=frank/emailAddress=frank@acme.test
#   client-multi-rdn                /O=Acme/OU=ops+CN=heidi: one RDN of two attributes
#   client-no-subject               an empty subject, SAN DNS:grace.example.com (critical, as
#                                   RFC 5280 wants when the subject is empty)
#   client-wrong-ca                 CN=client, signed by "Other CA"
#   client-expired                  CN=client, valid 2020-01-01 to 2021-01-01
#
# Certificates are issued with `openssl ca` (so start and end dates can lie in the past) and
# -preserveDN (so the subject keeps the order given here). Takes well under a second; the RSA
# key is the slow part.
set -euo pipefail

dir=${1:?usage: make_certificates.sh <dir> [openssl]}
openssl=${2:-openssl}
mkdir -p "$dir"
cd "$dir"

# A CA with its own `openssl ca` database: new_ca <name> <subject>
new_ca() {
  local name=$1 subject=$2
  mkdir -p "$name.db/new"
  : >"$name.db/index.txt"
  echo 1000 >"$name.db/serial"
  cat >"$name.db/ca.cnf" <<EOF
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = $PWD/$name.db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
domainComponent = optional
commonName = supplied
organizationName = optional
organizationalUnitName = optional
emailAddress = optional
EOF
  "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name-key.pem" 2>/dev/null
  "$openssl" req -x509 -new -key "$name-key.pem" -subj "$subject" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$name.pem"
}

new_key() {  # <file> rsa|ecdsa|ed25519
  case $2 in
    rsa) "$openssl" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
    ecdsa) "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
    ed25519) "$openssl" genpkey -algorithm ED25519 -out "$1" ;;
  esac
}

# issue <name> <key type> <subject> <ca> <server|client> <extra SANs or ""> [start end]
issue() {
  local name=$1 key=$2 subject=$3 ca=$4 usage=$5 sans=$6
  local start=${7:-} end=${8:-}
  new_key "$name-key.pem" "$key"
  "$openssl" req -new -utf8 -multivalue-rdn -key "$name-key.pem" -subj "$subject" -out "$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${usage}Auth"
    echo "authorityKeyIdentifier=keyid"
    if [[ -n $sans ]]; then echo "subjectAltName=$sans"; fi
  } >"$name.ext"
  local dates=(-days 30)
  if [[ -n $start ]]; then dates=(-startdate "$start" -enddate "$end"); fi
  "$openssl" ca -batch -notext -preserveDN -config "$ca.db/ca.cnf" -cert "$ca.pem" \
    -keyfile "$ca-key.pem" -in "$name.csr" -out "$name.pem" -extfile "$name.ext" \
    "${dates[@]}" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

# `openssl ca` wants a commonName; `openssl x509 -req` signs an empty subject.
issue_without_subject() {  # <name> <SANs>
  local name=$1 sans=$2
  new_key "$name-key.pem" ecdsa
  "$openssl" req -new -key "$name-key.pem" -subj "/" -out "$name.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth" \
    "authorityKeyIdentifier=keyid" "subjectAltName=critical,$sans" >"$name.ext"
  "$openssl" x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -CAserial "$name.srl" -days 30 -sha256 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext" "$name.srl"
}

new_ca ca "/O=Acme/CN=Test CA"
new_ca other-ca "/O=Elsewhere/CN=Other CA"

local_sans="DNS:localhost,IP:127.0.0.1"
issue server-rsa rsa "/O=Acme/CN=localhost" ca server "$local_sans"
issue server-ecdsa ecdsa "/O=Acme/CN=localhost" ca server "$local_sans"
issue server-ed25519 ed25519 "/O=Acme/CN=localhost" ca server "$local_sans"
issue server-next ecdsa "/O=Acme/CN=next.localhost" ca server "$local_sans"
issue server-wrong-host ecdsa "/O=Acme/CN=wrong.example.com" ca server "DNS:wrong.example.com"
issue server-expired ecdsa "/O=Acme/CN=localhost" ca server "$local_sans" \
  200101000000Z 210101000000Z

issue client ecdsa "/O=Acme/CN=client" ca client ""
issue client-dn ecdsa "/O=Acme/OU=eng/CN=alice" ca client ""
issue client-email ecdsa "/O=Acme/CN=bob" ca client "email:bob@example.com"
issue client-dns ecdsa "/O=Acme/CN=carol" ca client "DNS:carol.example.com"
issue client-utf8 ecdsa "/O=Acme/CN=José" ca client ""
issue client-literal-plus ecdsa "/O=Acme/CN=dave\+OU=ops" ca client ""
issue client-email-dn ecdsa "/O=Acme/CN=erin/emailAddress=erin@acme.test" ca client ""
issue client-dc ecdsa "/DC=test/DC=acme/O=Acme/CN=frank/emailAddress=frank@acme.test" ca client ""
issue client-multi-rdn ecdsa "/O=Acme/OU=ops+CN=heidi" ca client ""
issue_without_subject client-no-subject "DNS:grace.example.com"
issue client-wrong-ca ecdsa "/O=Acme/CN=client" other-ca client ""
issue client-expired ecdsa "/O=Acme/CN=client" ca client "" 200101000000Z 210101000000Z
