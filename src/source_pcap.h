/*
 * Captures as a replay input: a .pcap or .pcapng file, plain or gzip,
 * told apart by content; its packets through wire.c, its exchanges as
 * events in time order.  (A live capture comes next.)
 */
#ifndef KS_SOURCE_PCAP_H
#define KS_SOURCE_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "event.h"

struct pcsrc;

/* Is the file a capture (pcap or pcapng, maybe in gzip)? */
int		 pcsrc_is_capture(const char *path);
struct pcsrc	*pcsrc_open(const char *path, uint32_t index,
		    const struct config *, char *err, size_t errlen);
/* 1 with *ev filled (its endpoint not yet set), or 0 at the end. */
int		 pcsrc_next(struct pcsrc *, struct event *ev);
/* The file was cut short or broken (said on stderr). */
int		 pcsrc_failed(const struct pcsrc *);
void		 pcsrc_summary(const struct pcsrc *, FILE *);
void		 pcsrc_close(struct pcsrc *);

#endif
