package dev.pgha.keeper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keeper's account of itself: what it decided and what keeps this member from being healthy, each logged when it
 * differs from the last one (not every heartbeat), and the problem said in the status until the member is healthy
 * again. Owned by the keeper's loop.
 */
final class KeeperAccount {
    private static final Logger log = LoggerFactory.getLogger(Keeper.class);

    private String lastDecision;
    private String problem;

    /** Logs a decision of the planner when it differs from the last one (a refusal as an error). */
    void decided(KeeperAction action) {
        if (action.reason().equals(lastDecision)) {
            return;
        }
        lastDecision = action.reason();
        if (action.kind() == KeeperAction.Kind.REFUSE) {
            log.error("{}", action.reason());
        } else {
            log.info("{}", action.reason());
        }
    }

    /** Records a problem for the status; logs it when it differs from the last one. */
    void problem(String text) {
        if (!text.equals(problem)) {
            log.warn("{}", text);
        }
        problem = text;
    }

    /** Records a problem already logged where it arose (postgres's exit, a refusal, an unexpected failure). */
    void problemSaid(String text) {
        problem = text;
    }

    /** The member is healthy: no problem any more. */
    void healthy() {
        problem = null;
    }

    /** Why an unhealthy member is not healthy while {@code action} is what the keeper does about it. */
    String why(KeeperAction action) {
        if (problem == null) {
            return action.reason();
        }
        return action.kind() == KeeperAction.Kind.HOLD ? problem + "; " + action.reason() : problem;
    }

    /** What a busy keeper is {@code doing}, after the problem that led to it, if any. */
    String busy(String doing) {
        return problem == null ? doing : problem + "; " + doing;
    }
}
