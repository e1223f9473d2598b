/*
 * The engine: one config, its rules, a store, the detector and the sinks,
 * wired together.  Replay and the daemon differ only in where events come
 * from and which clock drives them; both feed engine_event().
 */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "detect.h"
#include "rules.h"
#include "sink.h"
#include "store.h"

struct engine {
	struct config		 *cfg;
	struct ruleset		 *rs;
	struct store		 *store;
	struct detect		 *dt;
	struct sink		**sinks;
	size_t			  nsinks;
	struct output_conf	  override;	/* -o FILE */
	char			**inputs;	/* names, by event.input */
	size_t			  ninputs;
	struct alert_ctx	  actx;
	uint64_t		  alerts;
};

/*
 * Takes ownership of cfg and rs.  With output != NULL, alerts go there
 * (a file, or "-") instead of the config's outputs.
 */
int	engine_init(struct engine *, struct config *cfg, struct ruleset *rs,
	    const char *output, char *err, size_t errlen);
void	engine_fini(struct engine *);
/* Registers an input name; returns its index for event.input. */
uint32_t engine_add_input(struct engine *, const char *name);
/* Classifies and detects one event. */
void	engine_event(struct engine *, struct event *ev);
void	engine_flush(struct engine *);

#endif
