/*
 * Binding the listen address (see listen.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "http/listen.h"
#include "base/buf.h"
#include "base/banned.h"

/* Fills ss from c; "localhost" is the IPv4 loopback address. */
static int listen_addr(const struct config *c, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (c->listen_ipv6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)c->port);
		*len = sizeof(*a6);
		return inet_pton(AF_INET6, c->listen_host, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)c->port);
	*len = sizeof(*a4);
	const char *host = strcmp(c->listen_host, "localhost") == 0 ? "127.0.0.1" : c->listen_host;
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

static unsigned bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int listen_open(struct config *c, char *why, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (listen_addr(c, &ss, &len)) {
		fmt_into(why, cap, "'%s' is not an address to listen on", c->listen_host);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fmt_into(why, cap, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		fmt_into(why, cap, "cannot listen on %s port %u: %s", c->listen_host, c->port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	c->port = bound_port(fd);
	config_default_public_url(c);
	return fd;
}
