package dev.pgha.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker on hand-written histories: it passes correct ones and names each kind of violation. */
class CheckerTest {
    private static final String A = "10.213.0.1";
    private static final String B = "10.213.0.2";

    private static Op append(int client, long seq, long invoke, long complete, String server, int timeline) {
        return Op.ok(client, Op.Kind.APPEND, seq, 0, true, invoke, complete, server, timeline);
    }

    private static Op read(long value, long invoke, long complete) {
        return Op.ok(101, Op.Kind.READ, value, 0, false, invoke, complete, A, 1);
    }

    private static Op cas(long expected, long value, long invoke, long complete) {
        return Op.ok(102, Op.Kind.CAS, value, expected, true, invoke, complete, A, 1);
    }

    private static Op unknownCas(long expected, long value, long invoke) {
        return Op.notOk(102, Op.Kind.CAS, value, expected, invoke, invoke + 5, Op.Outcome.UNKNOWN, "connection reset");
    }

    @Test
    void appendsThatAllSurviveInOrderPass() {
        List<Op> h = List.of(
                append(1, 1, 0, 1, A, 1),
                append(1, 2, 2, 3, A, 1),
                append(2, 1, 0, 2, A, 1),
                Op.notOk(1, Op.Kind.APPEND, 3, 0, 4, 5, Op.Outcome.UNKNOWN, "eof"));
        List<Checker.Row> rows = List.of(
                new Checker.Row(1, 1, 1),
                new Checker.Row(2, 2, 1),
                new Checker.Row(3, 1, 2),
                new Checker.Row(4, 1, 3)); // the unknown one committed: allowed
        Checker.Appends r = Checker.appends(h, rows);
        assertThat(r.ok()).isTrue();
        assertThat(r.acknowledged()).isEqualTo(3);
    }

    @Test
    void aLostAcknowledgedAppendIsNamed() {
        List<Op> h = List.of(append(1, 1, 0, 1, A, 1), append(1, 2, 2, 3, A, 1));
        Checker.Appends r = Checker.appends(h, List.of(new Checker.Row(1, 1, 1)));
        assertThat(r.lost()).containsExactly("client 1 seq 2 (acknowledged at 0.0s by 10.213.0.1 on timeline 1)");
    }

    @Test
    void duplicatesReorderingAndFailedWritesThatAppearAreNamed() {
        List<Op> h = List.of(
                append(1, 1, 0, 1, A, 1),
                append(1, 2, 2, 3, A, 1),
                Op.notOk(1, Op.Kind.APPEND, 3, 0, 4, 5, Op.Outcome.FAILED, "read-only transaction"));
        List<Checker.Row> rows = List.of(
                new Checker.Row(1, 1, 2), new Checker.Row(2, 1, 1), new Checker.Row(3, 1, 1), new Checker.Row(4, 1, 3));
        Checker.Appends r = Checker.appends(h, rows);
        assertThat(r.duplicated()).containsExactly("client 1 seq 1 present 2 times");
        assertThat(r.outOfOrder())
                .containsExactly("client 1: seq 1 committed after seq 2", "client 1: seq 1 committed after seq 1");
        assertThat(r.failedButPresent()).containsExactly("client 1 seq 3 (failed with: read-only transaction)");
    }

    @Test
    void aLinearizableRegisterHistoryPasses() {
        List<Op> h = List.of(
                read(0, 0, 10),
                cas(0, 1, 5, 20),
                read(0, 6, 12),
                read(1, 15, 30),
                cas(1, 2, 25, 40),
                unknownCas(2, 3, 45),
                read(3, 60, 70),
                cas(3, 4, 80, 90));
        Checker.Register r = Checker.register(h);
        assertThat(r.violations()).isEmpty();
        assertThat(r.chainLength()).isEqualTo(4);
    }

    @Test
    void aStaleReadAfterANewerValueWasSeenIsAViolation() {
        // 1 was read (so installed) by 20; a read that began at 25 still saw 0.
        List<Op> h = List.of(cas(0, 1, 5, 15), read(1, 16, 20), read(0, 25, 30));
        assertThat(Checker.register(h).violations())
                .anySatisfy(v -> assertThat(v).startsWith("read of 1").contains("a stale read"))
                .anySatisfy(
                        v -> assertThat(v).startsWith("cas 0->1").contains("cannot take effect after every read of 0"));
    }

    @Test
    void twoCompareAndSetsFromOneValueAreALostUpdate() {
        // The write 0->1 acknowledged by a leader that was then replaced without it; the new leader still had 0.
        List<Op> h = List.of(cas(0, 1, 0, 10), cas(0, 2, 20, 30), read(2, 31, 32));
        assertThat(Checker.register(h).violations())
                .anySatisfy(v -> assertThat(v).startsWith("lost update"));
    }

    @Test
    void aReadOfAValueNoWriteProducedIsAViolation() {
        assertThat(Checker.register(List.of(read(7, 0, 1))).violations())
                .singleElement()
                .asString()
                .contains("a value no chain of compare-and-sets from 0 produced");
    }

    @Test
    void anUnknownCasNeverObservedIsTakenNotToHaveHappened() {
        List<Op> h = List.of(unknownCas(0, 1, 0), cas(0, 2, 20, 30), read(2, 31, 32));
        assertThat(Checker.register(h).violations()).isEmpty();
    }

    @Test
    void sequentialLeadersAreFineButOverlappingOnesAreCaught() {
        List<Op> h = new ArrayList<>(List.of(
                append(1, 1, 0, 10, A, 1),
                append(1, 2, 20, 30, A, 1),
                append(2, 1, 40, 50, B, 2),
                append(2, 2, 60, 70, B, 2)));
        assertThat(Checker.twoLeaders(Checker.terms(h))).isEmpty();
        // A acknowledges a write that began at 55, after B had acknowledged one at 50: both led at once.
        h.add(append(3, 1, 55, 80, A, 1));
        assertThat(Checker.twoLeaders(Checker.terms(h)))
                .singleElement()
                .asString()
                .contains("10.213.0.1 (timeline 1")
                .contains("10.213.0.2 (timeline 2");
    }

    @Test
    void aLeaderChangeOutsideEveryFaultWindowIsReported() {
        long s = 1_000_000_000L; // the ops' times are in nanoseconds
        List<Op> h = List.of(
                append(1, 1, 0, 10 * s, A, 1),
                append(1, 2, 20 * s, 30 * s, B, 2), // a fault from 15 s to 25 s: provoked
                append(1, 3, 60 * s, 70 * s, A, 3)); // nothing happened around 70 s
        List<long[]> windows = List.<long[]>of(new long[] {15 * s, 25 * s});
        assertThat(Checker.leaderChangesWithoutAFault(Checker.terms(h), windows))
                .singleElement()
                .asString()
                .startsWith("10.213.0.1 (timeline 3) took its first write at 70.0s");
        assertThat(Checker.leaderChangesWithoutAFault(
                        Checker.terms(h), List.of(new long[] {15 * s, 25 * s}, new long[] {50 * s, 65 * s})))
                .as("within a fault's window and the clients' grace after it")
                .isEmpty();
    }

    @Test
    void theLossWindowSaysHowManyAcknowledgedAppendsAreMissingAndWhenTheyWereAcknowledged() {
        long s = 1_000_000_000L;
        List<Op> h = List.of(
                append(1, 1, 0, 9 * s, A, 1),
                append(1, 2, 9 * s, 10 * s, A, 1), // lost: acknowledged 2 s before the fault at 12 s
                append(1, 3, 12 * s, 13 * s, A, 1), // lost: 1 s into it
                append(1, 4, 20 * s, 21 * s, B, 2));
        List<Checker.Row> rows = List.of(new Checker.Row(1, 1, 1), new Checker.Row(2, 1, 4));
        assertThat(Checker.lossWindow(h, rows, List.<long[]>of(new long[] {12 * s, 18 * s})))
                .isEqualTo("2 acknowledged appends lost, acknowledged from -2.00s to +1.00s relative to the start of "
                        + "the fault that lost them");
        assertThat(Checker.lossWindow(h.subList(0, 1), rows, List.of())).isEqualTo("0 acknowledged appends lost");
    }

    @Test
    void theWalLostInOneFaultSpansItsLostAppendsAndFaultsAreNotAddedUp() {
        long s = 1_000_000_000L;
        List<Op> h = List.of(
                append(1, 1, 0, 9 * s, A, 1).withLsn(1_000),
                append(1, 2, 9 * s, 10 * s, A, 1).withLsn(50_000), // lost in the first fault
                append(1, 3, 12 * s, 13 * s, A, 1).withLsn(80_000), // lost in the first fault
                append(1, 4, 20 * s, 21 * s, B, 2).withLsn(90_000),
                append(1, 5, 30 * s, 31 * s, B, 2).withLsn(100_000), // lost in the second fault
                append(1, 6, 40 * s, 41 * s, A, 3).withLsn(120_000));
        List<Checker.Row> rows = List.of(new Checker.Row(1, 1, 1), new Checker.Row(2, 1, 4), new Checker.Row(3, 1, 6));
        List<long[]> faults = List.of(new long[] {12 * s, 18 * s}, new long[] {32 * s, 38 * s});
        assertThat(Checker.largestWalLoss(h, rows, faults)).isEqualTo(30_000 + Checker.APPEND_WAL);
        assertThat(Checker.largestWalLoss(
                        h,
                        List.of(
                                new Checker.Row(1, 1, 1),
                                new Checker.Row(2, 1, 2),
                                new Checker.Row(3, 1, 3),
                                new Checker.Row(4, 1, 4),
                                new Checker.Row(5, 1, 6)),
                        faults))
                .as("only append 5 lost: one record")
                .isEqualTo(Checker.APPEND_WAL);
        assertThat(Checker.largestWalLoss(h.subList(0, 1), rows, faults)).isZero();
    }

    @Test
    void theSameMemberOnANewTimelineIsNotASecondLeader() {
        List<Op> h = List.of(append(1, 1, 0, 10, A, 1), append(1, 2, 5, 20, A, 2), append(1, 3, 12, 30, A, 1));
        assertThat(Checker.twoLeaders(Checker.terms(h))).isEmpty();
    }

    @Test
    void theLongestGapBetweenSuccessesIsMeasured() {
        List<Op> h = List.of(
                append(1, 1, 0, 1_000_000_000L, A, 1),
                append(1, 2, 0, 4_000_000_000L, A, 1),
                append(1, 3, 0, 5_000_000_000L, A, 1));
        assertThat(Checker.longestGap(h, 0, 6_000_000_000L)).containsExactly(1_000_000_000L, 3_000_000_000L);
    }
}
