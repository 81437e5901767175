/// Every migration of Vaxtrace, in order. Append only: never edit or reorder a landed entry.
public enum VaxtraceMigrations {
    /// The ordered list.
    public static let all: [Migration] = [
        m0001AdministrativeUnits,
        m0002PriorityGroups,
        m0003People,
        m0004AuditLog,
        m0005Identity,
        m0006Campaign,
        m0007AuditQueue,
        m0008Certificates,
        m0009Tracing,
        m0010ExposureNotification,
        m0011LogisticsRollups,
        m0012TracingSearch,
        m0013OutboxPending,
    ]
}
