/* min_client.c - the floor for the scanner benchmark: a minimal sequential
 * client on the same OpenSSL. For each "ip port" line on stdin: connect,
 * handshake (no verification, library defaults otherwise), GET /version,
 * read to EOF, close. Prints "ok N fail M". Loopback only by construction
 * (the benchmark feeds it the fleet's addresses). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

static int one(SSL_CTX *ctx, const char *ip, int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int ok = -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) == 1) {
            char req[256], buf[16384];
            int n = snprintf(req, sizeof(req),
                             "GET /version HTTP/1.1\r\nHost: %s:%d\r\n"
                             "Connection: close\r\n\r\n", ip, port);
            size_t total = 0;
            if (SSL_write(ssl, req, n) == n) {
                int r;
                while ((r = SSL_read(ssl, buf, sizeof(buf))) > 0)
                    total += (size_t)r;
            }
            ok = total > 12 && memcmp(buf, "HTTP/1.1 ", 9) == 0 ? 0 : -1;
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    }
    close(fd);
    return ok;
}

int main(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    char ip[64];
    int port;
    unsigned ok = 0, fail = 0;
    while (scanf("%63s %d", ip, &port) == 2) {
        if (one(ctx, ip, port) == 0)
            ok++;
        else
            fail++;
    }
    printf("ok %u fail %u\n", ok, fail);
    SSL_CTX_free(ctx);
    return 0;
}
