#!/usr/bin/perl
# An independent SMSC peer for callguard's interop test, written with Net::SMPP (libnet-smpp-perl).
#
# Usage: perl net-smpp-smsc.pl --system-id ID --password PW [--disconnect-after N]
# Listens on 127.0.0.1, ephemeral port. Prints one JSON object per line on stdout:
#   {"event":"listening","port":N} first, then bind / submit_sm / enquire_link_resp / deliver_sm_resp /
#   unbind / disconnect events. Passwords are never printed (only whether they matched).
# Behaviour: answers bind_transceiver, enquire_link and unbind; answers each submit_sm with a hex
# message_id and, when registered_delivery asks for it, sends a delivery receipt (receipted_message_id
# and message_state TLVs plus the "id:... stat:DELIVRD" text); after each bind it sends one enquire_link
# of its own; after --disconnect-after N submits it drops the connection once (abruptly).
# Exits when stdin reaches EOF (so it never outlives the test that started it).
use strict;
use warnings;
use Net::SMPP;
use IO::Select;
use JSON::PP;
use Getopt::Long;

$| = 1;
my ($system_id, $password, $disconnect_after) = ('', '', 0);
GetOptions('system-id=s' => \$system_id, 'password=s' => \$password, 'disconnect-after=i' => \$disconnect_after)
  or die "bad options\n";

my $json = JSON::PP->new->canonical(1);
sub emit { print $json->encode({@_}), "\n"; }

my $listener = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
  or die "cannot listen: $!\n";
emit(event => 'listening', port => $listener->sockport);

my $sel = IO::Select->new($listener, \*STDIN);
my $conn;
my $next_id = 0xA000;
my $submits = 0;
my $disconnected = 0;
my %pending;    # seq of our requests -> what they were

sub drop_conn {
  my ($why) = @_;
  return unless $conn;
  $sel->remove($conn);
  close($conn);
  undef $conn;
  emit(event => 'disconnect', reason => $why);
}

while (1) {
  for my $fh ($sel->can_read) {
    if ($fh == \*STDIN) {
      my $line = <STDIN>;
      exit 0 if !defined $line;
      next;
    }
    if ($fh == $listener) {
      my $c = $listener->accept or next;
      drop_conn('replaced') if $conn;
      $conn = $c;
      $sel->add($conn);
      next;
    }
    my $pdu = $conn->read_pdu;
    if (!$pdu) { drop_conn('peer closed'); next; }
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x00000009) {    # bind_transceiver
      my $ok = ($pdu->{system_id} eq $system_id && $pdu->{password} eq $password);
      emit(event => 'bind', system_id => $pdu->{system_id}, system_type => $pdu->{system_type},
           interface_version => $pdu->{interface_version}, password_ok => ($ok ? JSON::PP::true : JSON::PP::false));
      $conn->bind_transceiver_resp(system_id => 'perl-smsc', seq => $pdu->{seq}, ($ok ? () : (status => 0x0E)));
      if ($ok) {
        my $seq = $conn->enquire_link(async => 1);
        $pending{$seq} = 'enquire_link';
      }
    } elsif ($cmd == 0x00000015) {    # enquire_link from the ESME
      emit(event => 'enquire_link');
      $conn->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x80000015) {
      emit(event => 'enquire_link_resp', seq => $pdu->{seq}, status => $pdu->{status});
      delete $pending{$pdu->{seq}};
    } elsif ($cmd == 0x80000005) {
      emit(event => 'deliver_sm_resp', seq => $pdu->{seq}, status => $pdu->{status});
      delete $pending{$pdu->{seq}};
    } elsif ($cmd == 0x00000004) {    # submit_sm
      my $id = sprintf('%X', $next_id++);
      my $sm = defined $pdu->{short_message} ? $pdu->{short_message} : '';
      emit(event => 'submit_sm', seq => $pdu->{seq}, message_id => $id,
           source_addr => $pdu->{source_addr}, source_addr_ton => $pdu->{source_addr_ton}, source_addr_npi => $pdu->{source_addr_npi},
           destination_addr => $pdu->{destination_addr}, dest_addr_ton => $pdu->{dest_addr_ton}, dest_addr_npi => $pdu->{dest_addr_npi},
           esm_class => $pdu->{esm_class}, data_coding => $pdu->{data_coding}, registered_delivery => $pdu->{registered_delivery},
           validity_period => $pdu->{validity_period}, short_message_hex => unpack('H*', $sm));
      $conn->submit_sm_resp(message_id => $id, seq => $pdu->{seq});
      if (($pdu->{registered_delivery} & 0x03) != 0) {
        my $text = "id:$id sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:";
        my $seq = $conn->deliver_sm(
          source_addr_ton => $pdu->{dest_addr_ton}, source_addr_npi => $pdu->{dest_addr_npi}, source_addr => $pdu->{destination_addr},
          dest_addr_ton => $pdu->{source_addr_ton}, dest_addr_npi => $pdu->{source_addr_npi}, destination_addr => $pdu->{source_addr},
          esm_class => 0x04, data_coding => 0, short_message => $text,
          receipted_message_id => "$id\0", message_state => pack('C', 2),
          async => 1);
        $pending{$seq} = "receipt $id";
      }
      $submits++;
      if ($disconnect_after && !$disconnected && $submits >= $disconnect_after) {
        $disconnected = 1;
        drop_conn('scripted');
      }
    } elsif ($cmd == 0x00000006) {    # unbind
      emit(event => 'unbind');
      $conn->unbind_resp(seq => $pdu->{seq});
      drop_conn('unbind');
    } else {
      emit(event => 'other', cmd => sprintf('0x%08X', $cmd));
      $conn->generic_nack(seq => $pdu->{seq}, status => 0x03) if !($cmd & 0x80000000);
    }
  }
}
