extension Duration {
    /// The duration in seconds, fraction included.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
