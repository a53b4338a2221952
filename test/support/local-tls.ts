// A self-signed certificate for 127.0.0.1 and localhost (valid 2020 to 2120), for tests that need a real HTTPS server:
// a client trusts it through NODE_EXTRA_CA_CERTS (see tlsCertFile) and nothing else. Test material, not a secret.
import fs from 'node:fs';
import path from 'node:path';

export const LOCAL_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYzMODTO8RecQfC7t
rI+bnwjtxu0c8n8SfsPCPLdkJLmhRANCAASf4vcNNHvQ3zcefBO7KfV1BlU9B5U/
0/892dztw3MkEJGOR3uI+uX0eCeJ2T7kIUXIgWl4k9qKPjjB1BGWRgfH
-----END PRIVATE KEY-----
`;

export const LOCAL_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIBATAKBggqhkjOPQQDAjAfMR0wGwYDVQQDDBRnZWNrby1j
b2xsZWN0b3IgdGVzdDAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFow
HzEdMBsGA1UEAwwUZ2Vja28tY29sbGVjdG9yIHRlc3QwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAASf4vcNNHvQ3zcefBO7KfV1BlU9B5U/0/892dztw3MkEJGOR3uI
+uX0eCeJ2T7kIUXIgWl4k9qKPjjB1BGWRgfHo04wTDAaBgNVHREEEzARhwR/AAAB
gglsb2NhbGhvc3QwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUgO4AsMqlmg2B
s66+Jemlkkkba5QwCgYIKoZIzj0EAwIDSAAwRQIhAOHxon46FnmQGlz0Ai9O7E5O
vgNwtF6XPVpFIfYC5DqvAiA/KKbBZ8echKci39b7L5+I/9sQzUNwXofApYcaF8Ae
eA==
-----END CERTIFICATE-----
`;

/** Writes the certificate into `dir` and returns the file, for a child's NODE_EXTRA_CA_CERTS. */
export function tlsCertFile(dir: string): string {
  const file = path.join(dir, 'local-tls-cert.pem');
  fs.writeFileSync(file, LOCAL_TLS_CERT);
  return file;
}
