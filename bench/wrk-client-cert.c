/*
 * Lets wrk present a client certificate, for bin/bench's "direct" calls to a service's API port, which with
 * CLUSTER_TLS=on answers nothing without a certificate of the deployment's CA. wrk speaks HTTPS but has no option for
 * one; preloaded into it (LD_PRELOAD, by bench/benchtool.py), this wraps OpenSSL's SSL_CTX_new, which wrk calls once
 * for all its connections, and loads BENCH_TLS_CERT and BENCH_TLS_KEY (PEM) into the new context. Nothing else
 * changes: wrk still checks no server certificate, and keeps its connections alive, so a run pays one handshake per
 * connection, as nginx and HAProxy do with keep-alive to the same ports.
 *
 * Built by bin/bench into its run directory: cc -shared -fPIC -o wrk-client-cert.so bench/wrk-client-cert.c -ldl
 * (no OpenSSL headers needed: the three functions used are declared here; wrk's own libssl provides them).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_method_st SSL_METHOD;
int SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *file);
int SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type);
int SSL_CTX_check_private_key(const SSL_CTX *ctx);
#define PEM_FILE 1 /* SSL_FILETYPE_PEM */

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
  static SSL_CTX *(*real_new)(const SSL_METHOD *);
  if (real_new == NULL) {
    real_new = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
    if (real_new == NULL) {
      fprintf(stderr, "wrk-client-cert: SSL_CTX_new not found: %s\n", dlerror());
      exit(1);
    }
  }
  SSL_CTX *ctx = real_new(method);
  const char *cert = getenv("BENCH_TLS_CERT");
  const char *key = getenv("BENCH_TLS_KEY");
  if (ctx == NULL || cert == NULL || key == NULL || *cert == '\0' || *key == '\0') {
    return ctx;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, PEM_FILE) != 1
      || SSL_CTX_check_private_key(ctx) != 1) {
    fprintf(stderr, "wrk-client-cert: cannot use the certificate %s with the key %s\n", cert, key);
    exit(1);
  }
  return ctx;
}
