//! Certificates and keys of one stack: a CA, the serving certificate, the admin client
//! certificate and the service-account key pair (generation is pure; [`Pki::write`] does IO).

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::components::KUBERNETES_SERVICE_IP;
use crate::error::{Result, io};

/// PEM texts, named by the file they are written to.
pub(crate) struct Pki {
    files: Vec<(&'static str, String)>,
}

impl Pki {
    /// Generates a fresh set (ECDSA P-256 keys, PKCS#8).
    pub fn generate() -> Result<Self> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(DnType::CommonName, "local-cluster-ca");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?;
        let ca_pem = ca_cert.pem();
        let ca_key_pem = ca_key.serialize_pem();
        let issuer = Issuer::new(ca, ca_key);

        // rustls only accepts an IP address in the URL if the certificate names it.
        let serving_names: Vec<String> = [
            "127.0.0.1",
            KUBERNETES_SERVICE_IP,
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let (serving, serving_key) = leaf(
            serving_names,
            "kube-apiserver",
            None,
            ExtendedKeyUsagePurpose::ServerAuth,
            &issuer,
        )?;
        let (admin, admin_key) = leaf(
            Vec::new(),
            "kubernetes-admin",
            Some("system:masters"),
            ExtendedKeyUsagePurpose::ClientAuth,
            &issuer,
        )?;
        let sa = KeyPair::generate()?;
        Ok(Self {
            files: vec![
                ("ca.crt", ca_pem),
                ("ca.key", ca_key_pem),
                ("apiserver.crt", serving),
                ("apiserver.key", serving_key),
                ("admin.crt", admin),
                ("admin.key", admin_key),
                ("sa.key", sa.serialize_pem()),
                ("sa.pub", sa.public_key_pem()),
            ],
        })
    }

    /// Writes every file into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io("creating the pki folder", dir))?;
        for (name, pem) in &self.files {
            let path = dir.join(name);
            std::fs::write(&path, pem).map_err(io("writing a certificate or key", &path))?;
        }
        Ok(())
    }
}

/// A certificate signed by `issuer` and its key, as PEM.
fn leaf(
    names: Vec<String>,
    common_name: &str,
    organization: Option<&str>,
    usage: ExtendedKeyUsagePurpose,
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(String, String)> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(names)?;
    p.distinguished_name.push(DnType::CommonName, common_name);
    if let Some(o) = organization {
        p.distinguished_name.push(DnType::OrganizationName, o);
    }
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![usage];
    let cert = p.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_every_file_kubernetes_needs() {
        let pki = Pki::generate().expect("pki");
        let names: Vec<_> = pki.files.iter().map(|(n, _)| *n).collect();
        for want in [
            "ca.crt",
            "ca.key",
            "apiserver.crt",
            "apiserver.key",
            "admin.crt",
            "admin.key",
            "sa.key",
            "sa.pub",
        ] {
            assert!(names.contains(&want), "missing {want}");
        }
        for (name, pem) in &pki.files {
            let kind = if name.ends_with(".crt") {
                "CERTIFICATE"
            } else if name.ends_with(".pub") {
                "PUBLIC KEY"
            } else {
                "PRIVATE KEY"
            };
            assert!(
                pem.starts_with(&format!("-----BEGIN {kind}-----")),
                "{name}: {pem}"
            );
        }
    }
}
