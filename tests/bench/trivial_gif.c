/* trivial_gif: the benchmark's baseline -- a FastCGI responder that answers
 * every request with the 43-byte GIF of /b.gif (spec/10 Appendix A) and the
 * same response headers, doing nothing else. beacon.sh builds it (not
 * automake) and runs it under the same lighttpd as echelon.fcgi, so the
 * ratio of their throughputs is the cost of Echelon's hot path.
 *
 * By default it ends each connection the way stock libfcgi does (shut down
 * the write side, wait for the web server to close, close). With
 * TRIVIAL_CLOSE=at-once in its environment it closes at once, as
 * echelon.fcgi does on a Unix-domain socket once the input was read to its
 * end (main.c): the ratio against that responder is the cost of the beacon
 * handler alone, with the same FastCGI frame on both sides. */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char gif[43] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
    0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
};

static const char head[] =
    "Status: 200 OK\r\n"
    "Content-Type: image/gif\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Length: 43\r\n"
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE, OPTIONS\r\n"
    "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
    "Access-Control-Max-Age: 86400\r\n"
    "X-Frame-Options: DENY\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: strict-origin-when-cross-origin\r\n"
    "\r\n";

int main(void)
{
    FCGX_Request rq;
    if (FCGX_Init() != 0) return 1;
    FCGX_InitRequest(&rq, 0, 0);
    const char *close_mode = getenv("TRIVIAL_CLOSE");
    int at_once = close_mode && strcmp(close_mode, "at-once") == 0;
    while (FCGX_Accept_r(&rq) >= 0) {
        FCGX_PutStr(head, (int)sizeof head - 1, rq.out);
        FCGX_PutStr((const char *)gif, (int)sizeof gif, rq.out);
        if (at_once && (FCGX_HasSeenEOF(rq.in) == EOF || FCGX_GetChar(rq.in) == EOF)) FCGX_Detach(&rq);
        FCGX_Finish_r(&rq);
    }
    return 0;
}
