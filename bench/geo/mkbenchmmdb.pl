#!/usr/bin/perl
# mkbenchmmdb.pl - larger .mmdb files for bench/geo_lookup (not for tests).
#
# Usage: mkbenchmmdb.pl OUTDIR [NETWORKS]
#
# NETWORKS (default 50000) random IPv4 /24s with distinct records, seeded,
# so the tree is about as deep as a real GeoLite2 file's IPv4 part (real
# GeoLite2-ASN has ~500k networks). Writes bench-country.mmdb and
# bench-asn.mmdb.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $outdir = shift @ARGV or die "usage: $0 OUTDIR [NETWORKS]\n";
my $count = shift @ARGV // 50000;

my %types = (
    country                        => 'map',
    iso_code                       => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

sub build {
    my ( $type, $file, $record ) = @_;
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version               => 6,
        record_size              => 28,
        database_type            => $type,
        languages                => ['en'],
        description              => { en => "kcensus bench $type" },
        map_key_type_callback    => sub { $types{ $_[0] } },
        remove_reserved_networks => 0,
    );
    srand(1);
    for ( 1 .. $count ) {
        my $net = join( '.',
            1 + int( rand(223) ), int( rand(256) ), int( rand(256) ), 0 )
          . '/24';
        $tree->insert_network( $net, $record->() );
    }
    open my $fh, '>:raw', "$outdir/$file" or die "$outdir/$file: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$outdir/$file: $!\n";
}

my @cc = map { chr( 65 + $_ / 26 ) . chr( 65 + $_ % 26 ) } 0 .. 249;
build( 'GeoLite2-Country', 'bench-country.mmdb',
    sub { { country => { iso_code => $cc[ int( rand(@cc) ) ] } } } );
build(
    'GeoLite2-ASN',
    'bench-asn.mmdb',
    sub {
        {
            autonomous_system_number       => 1 + int( rand(400000) ),
            autonomous_system_organization => 'Org ' . int( rand(50000) )
        }
    }
);
