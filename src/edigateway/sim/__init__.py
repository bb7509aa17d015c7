"""The local clearinghouse simulator: a real SFTP server and HTTP endpoint on loopback,
and a payer that adjudicates by deterministic rules."""
