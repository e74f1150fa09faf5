#!/usr/bin/perl
# mkmmdb.pl - builds the small MaxMind-format databases the tests use.
#
# Usage: mkmmdb.pl OUTDIR
#
# No real GeoLite2/DB-IP file can be downloaded here, so the tests build
# their own with Debian's libmaxmind-db-writer-perl, covering the loopback
# sub-ranges the simulated fleet listens on (127.16.0.0/16 onward; see
# docs/geo.md for the table). remove_reserved_networks => 0 is essential:
# the writer drops 127.0.0.0/8 otherwise. The build epoch is fixed so the
# tests can check what kc_geo_source() records.
#
# Writes: country.mmdb (GeoLite2-Country), city.mmdb (GeoLite2-City),
# asn.mmdb (GeoLite2-ASN), dbip-asn.mmdb (DB-IP's compatible ASN type name),
# anon.mmdb (GeoIP2-Anonymous-IP: a valid file of a type kcensus rejects),
# country-v4.mmdb (an IPv4-only Country database).
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $outdir = shift @ARGV or die "usage: $0 OUTDIR\n";
-d $outdir or die "$0: $outdir is not a directory\n";

our $BUILD_EPOCH = 1700000000;

# network => [country, asn, as organisation, city]
my @fleet = (
    [ '127.16.0.0/16', 'DE', 16509,  'AMAZON-02',              'Frankfurt' ],
    [ '127.17.0.0/16', 'US', 15169,  'GOOGLE',                 'Council Bluffs' ],
    [ '127.18.0.0/16', 'NL', 8075,   'MICROSOFT-CORP-MSN-AS-BLOCK', 'Amsterdam' ],
    [ '127.19.0.0/16', 'CN', 45102,  'Alibaba US Technology Co., Ltd.', 'Hangzhou' ],
    [ '127.20.0.0/16', 'FR', 16276,  'OVH SAS',                'Roubaix' ],
    [ '127.21.0.0/16', 'FI', 24940,  'Hetzner Online GmbH',    'Helsinki' ],
    [ '127.22.0.0/16', 'JP', 64512,  'Example Hosting KK',     'Tokyo' ],
    [ '127.23.0.0/16', 'BR', 64513,  "S\x{e3}o Paulo Net Ltda", "S\x{e3}o Paulo" ],
    # 127.24.0.0/16 and above: deliberately absent (lookups find nothing)
    [ '2001:db8:16::/48', 'DE', 16509, 'AMAZON-02', 'Frankfurt' ],
    [ '::1/128', 'SE', 64514, 'Loopback AB', 'Stockholm' ],
);

my %types = (
    country                        => 'map',
    registered_country             => 'map',
    city                           => 'map',
    names                          => 'map',
    en                             => 'utf8_string',
    iso_code                       => 'utf8_string',
    geoname_id                     => 'uint32',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    is_anonymous                   => 'boolean',
    is_anonymous_vpn               => 'boolean',
);

sub new_tree {
    my ( $type, $ip_version ) = @_;
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version               => $ip_version,
        record_size              => 24,
        database_type            => $type,
        languages                => ['en'],
        description              => { en => "kcensus test $type" },
        map_key_type_callback    => sub { $types{ $_[0] } },
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => ( $ip_version == 6 ? 1 : 0 ),
    );
    $tree->_set_build_epoch($BUILD_EPOCH);
    return $tree;
}

sub write_tree {
    my ( $tree, $name ) = @_;
    my $path = "$outdir/$name";
    open my $fh, '>:raw', "$path.tmp" or die "$0: $path.tmp: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$0: $path.tmp: $!\n";
    rename "$path.tmp", $path or die "$0: $path: $!\n";
}

sub build {
    my ( $name, $type, $ip_version, $record ) = @_;
    my $tree = new_tree( $type, $ip_version );
    for my $f (@fleet) {
        next if $ip_version == 4 && $f->[0] =~ /:/;
        $tree->insert_network( $f->[0], $record->( @{$f}[ 1 .. 4 ] ) );
    }
    write_tree( $tree, $name );
}

my $country = sub {
    my ($cc) = @_;
    return {
        country            => { iso_code => $cc, names => { en => $cc } },
        registered_country => { iso_code => $cc },
    };
};

build( 'country.mmdb', 'GeoLite2-Country', 6, $country );
build( 'country-v4.mmdb', 'GeoLite2-Country', 4, $country );
build(
    'city.mmdb', 'GeoLite2-City', 6,
    sub {
        my ( $cc, undef, undef, $city ) = @_;
        return {
            city    => { geoname_id => 1, names => { en => $city } },
            country => { iso_code   => $cc },
        };
    }
);
my $asn = sub {
    my ( undef, $asn, $org ) = @_;
    return {
        autonomous_system_number       => $asn,
        autonomous_system_organization => $org,
    };
};
build( 'asn.mmdb', 'GeoLite2-ASN', 6, $asn );
build( 'dbip-asn.mmdb', 'DBIP-ASN-Lite (compat=GeoLite2-ASN)', 6, $asn );
build( 'anon.mmdb', 'GeoIP2-Anonymous-IP', 6,
    sub { return { is_anonymous => 1, is_anonymous_vpn => 1 } } );
