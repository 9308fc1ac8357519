// Package faulttest holds the fault tests: Tandem's moving parts run as real
// processes (fleet: tandemd replicas, a private nats-server, a private
// mariadbd) that the tests load, kill and start again, checking that
// streams lose and repeat nothing (Collector) and that writers recover
// (Retry).
//
// Nothing here touches the shared MariaDB or NATS of a machine: brokers and
// databases that a test kills are its own.
package faulttest
