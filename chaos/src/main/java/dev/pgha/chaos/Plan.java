package dev.pgha.chaos;

/** What the launcher asks the run inside the hub namespace to do (passed as a JSON file). */
record Plan(
        String prefix,
        int nodes,
        String work,
        String pghaJar,
        int faults,
        long seed,
        int appenders,
        int registers,
        String report,
        java.util.List<String> only,
        boolean async,
        long maxLag,
        int synchronousStandbys) {}
