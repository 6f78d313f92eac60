// Istio's Bookinfo (https://istio.io/latest/docs/examples/bookinfo/) as a zero-trust mesh:
// productpage behind the ingress with the user's token; details; reviews v1-v3 behind one
// Service and one identity, with a route for one user and a canary split for everyone else;
// ratings; and a MySQL database that keeps its data on a PersistentVolumeClaim.
import type { Construct } from 'constructs';
import {
  EnvValue, JwtIssuer, JwtProtectedService, Mesh, MeshIngress, MeshWorkload, MtlsMode, Probe, ServicePort, ZeroTrustNamespace,
} from 'zero-trust-mesh';

/** What differs between Bookinfo's environments. */
export interface BookinfoProps {
  readonly issuer: JwtIssuer;
  readonly host: string;
  readonly tlsCredentialName: string;
}

const image = (name: string) => `docker.io/istio/examples-bookinfo-${name}:1.20.2`;

export class BookinfoMesh extends Mesh {
  public constructor(scope: Construct, id: string, props: BookinfoProps) {
    super(scope, id, { environment: id, stage: 'prod', mtls: MtlsMode.STRICT });
    const ns = new ZeroTrustNamespace(this, 'bookinfo');
    const http = ServicePort.http(9080);
    const ready = (path: string) => Probe.http(path, { periodSeconds: 5 });

    const productpage = new JwtProtectedService(ns, 'productpage', {
      image: image('productpage-v1'), ports: [http], issuers: [props.issuer],
      readiness: ready('/health'),
      autoscaling: { minReplicas: 2, maxReplicas: 6 },
    });
    const details = new MeshWorkload(ns, 'details', {
      image: image('details-v1'), ports: [http], replicas: 2, readiness: ready('/health'),
    });
    const reviews = new MeshWorkload(ns, 'reviews', {
      image: image('reviews-v1'), ports: [http], readiness: ready('/health'),
      versions: [
        { name: 'v1' },
        { name: 'v2', image: image('reviews-v2') },
        { name: 'v3', image: image('reviews-v3') },
      ],
      routes: [
        { name: 'jason', headers: { 'end-user': 'jason' }, weights: { v2: 100 } },
        { name: 'canary', weights: { v1: 80, v3: 20 } },
      ],
    });
    const ratings = new MeshWorkload(ns, 'ratings', {
      image: image('ratings-v2'), ports: [http], readiness: ready('/health'),
      env: {
        DB_TYPE: EnvValue.fromValue('mysql'),
        MYSQL_DB_HOST: EnvValue.fromValue('mysqldb'),
        MYSQL_DB_PORT: EnvValue.fromValue('3306'),
        MYSQL_DB_USER: EnvValue.fromValue('root'),
        MYSQL_DB_PASSWORD: EnvValue.fromSecretKey('mysqldb-credentials', 'root-password'),
      },
    });
    const mysqldb = new MeshWorkload(ns, 'mysqldb', {
      image: image('mysqldb'), ports: [ServicePort.tcp(3306, { suffix: 'mysql' })],
      env: { MYSQL_ROOT_PASSWORD: EnvValue.fromSecretKey('mysqldb-credentials', 'root-password') },
      securityContext: { runAsUser: 999, runAsGroup: 999, readOnlyRootFilesystem: false },
      persistentVolumes: [{ name: 'data', path: '/var/lib/mysql', size: '5Gi', storageClassName: 'standard' }],
      writablePaths: ['/var/run/mysqld', '/tmp'],
      readiness: Probe.tcp(),
    });

    new MeshIngress(ns, 'bookinfo', {
      host: props.host, service: productpage, tlsCredentialName: props.tlsCredentialName,
      pathPrefixes: ['/productpage', '/static', '/login', '/logout', '/api/v1/products'],
    });
    const read = { methods: ['GET'] };
    details.allowFrom(productpage, { ...read, paths: ['/details/*'], reason: 'the product page shows a book\'s details' });
    reviews.allowFrom(productpage, { ...read, paths: ['/reviews/*'], reason: 'the product page shows reviews' });
    ratings.allowFrom(reviews, { ...read, paths: ['/ratings/*'], reason: 'reviews v2 and v3 show star ratings' });
    mysqldb.allowFrom(ratings, { ports: [3306], reason: 'ratings are stored in MySQL' });
  }
}
