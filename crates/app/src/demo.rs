//! The demo city: Hanoi's inspectorate, police investigation agency, a department, two wards and
//! the Fatherland Front committee, with intake officers and handlers in each, the standard
//! categories and a few sample reports. Everything it creates is marked as demo data.

use minhbach_crypto::{PasswordParams, SecretKey};
use minhbach_domain::{AgencyId, RawReport, Role};
use minhbach_store::{AuditEntry, Category};

use crate::admin::{self, StaffAccount};
use crate::{App, Result};

/// Password of every demo account (printed by `minhbach demo`).
pub const DEMO_PASSWORD: &str = "minhbach-demo";

/// The TOTP secret shared by the demo accounts; on a demo organisation the sign-in page shows
/// the current code, so trying the product needs no authenticator app.
pub const DEMO_TOTP_SECRET: &[u8; 20] = b"minhbach-demo-totp!!";

/// The current second-factor code of the demo accounts.
pub fn demo_code(unix_secs: i64) -> String {
    minhbach_crypto::TotpSecret::from_bytes(DEMO_TOTP_SECRET)
        .and_then(|s| s.code_at(u64::try_from(unix_secs).unwrap_or(0)))
        .unwrap_or_default()
}

/// (code, Vietnamese name, English name, kind)
pub const AGENCIES: [(&str, &str, &str, &str); 6] = [
    (
        "tttp",
        "Thanh tra Thành phố Hà Nội",
        "Hanoi City Inspectorate",
        "inspectorate",
    ),
    (
        "csdt",
        "Cơ quan Cảnh sát điều tra Công an Thành phố Hà Nội",
        "Investigation Police Agency, Hanoi City Police",
        "investigation",
    ),
    (
        "sxd",
        "Sở Xây dựng Hà Nội",
        "Hanoi Department of Construction",
        "department",
    ),
    (
        "hoankiem",
        "Ủy ban nhân dân phường Hoàn Kiếm",
        "Hoan Kiem Ward People's Committee",
        "ward",
    ),
    (
        "caugiay",
        "Ủy ban nhân dân phường Cầu Giấy",
        "Cau Giay Ward People's Committee",
        "ward",
    ),
    (
        "mttq",
        "Ủy ban Mặt trận Tổ quốc Việt Nam Thành phố Hà Nội",
        "Vietnam Fatherland Front Committee of Hanoi",
        "front",
    ),
];

/// (code, Vietnamese, English)
pub const CATEGORIES: [(&str, &str, &str); 7] = [
    ("land", "Đất đai", "Land"),
    ("construction", "Xây dựng", "Construction"),
    (
        "procurement",
        "Đấu thầu, mua sắm công",
        "Public procurement",
    ),
    (
        "budget",
        "Tài chính, ngân sách",
        "Budget and public finance",
    ),
    ("health", "Y tế", "Health"),
    ("education", "Giáo dục", "Education"),
    ("other", "Lĩnh vực khác", "Other"),
];

/// A demo account as printed for the user.
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub agency: Option<String>,
}

pub struct DemoCity {
    pub recovery: SecretKey,
    pub logins: Vec<DemoLogin>,
    pub agencies: Vec<(String, AgencyId)>,
    /// Receipts of the sample reports (reference, receipt).
    pub receipts: Vec<(String, String)>,
}

impl DemoCity {
    pub fn agency(&self, code: &str) -> Option<AgencyId> {
        self.agencies
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, id)| *id)
    }
}

const SAMPLES: [(&str, &str, &str, &str, &str); 3] = [
    (
        "land",
        "hoankiem",
        "Cán bộ địa chính phường yêu cầu người dân nộp thêm 20 triệu đồng “chi phí bồi dưỡng” để được cấp giấy chứng nhận quyền sử dụng đất, không có biên lai.",
        "Tháng 10/2026",
        "Trụ sở UBND phường",
    ),
    (
        "construction",
        "",
        "Công trình xây dựng 9 tầng trên phố Trần Hưng Đạo vượt số tầng được cấp phép nhưng không bị xử lý dù người dân đã phản ánh nhiều lần.",
        "Từ tháng 6/2026 đến nay",
        "Phố Trần Hưng Đạo",
    ),
    (
        "procurement",
        "sxd",
        "Gói thầu mua sắm thiết bị văn phòng được chia nhỏ để chỉ định thầu cho một công ty quen biết, giá cao hơn thị trường khoảng 40%.",
        "Quý III/2026",
        "Sở Xây dựng",
    ),
];

/// Seeds the demo city into an empty database.
pub async fn seed(st: &App, params: PasswordParams) -> Result<DemoCity> {
    let store = st.store.as_ref();
    let now = st.now();
    let recovery =
        admin::create_organisation(store, "Thành phố Hà Nội (trình diễn)", "HN", true, now).await?;
    for (i, (code, vi, en)) in CATEGORIES.into_iter().enumerate() {
        let category = Category {
            code: code.into(),
            name_vi: vi.into(),
            name_en: en.into(),
            position: i as i64,
        };
        admin::create_category(store, category, now).await?;
    }
    let mut agencies = Vec::new();
    let mut logins = Vec::new();
    let mut add = |username: String, role: Role, agency: Option<&str>| {
        logins.push(DemoLogin {
            username,
            role,
            agency: agency.map(str::to_owned),
        });
    };
    for (code, vi, en, kind) in AGENCIES {
        let id = admin::create_agency(store, code, vi, en, kind, now).await?;
        agencies.push((code.to_owned(), id));
        for (suffix, role, title) in [
            ("tiepnhan", Role::IntakeOfficer, "Cán bộ tiếp nhận"),
            ("xuly", Role::Handler, "Cán bộ xử lý"),
            ("lanhdao", Role::AgencyLead, "Lãnh đạo"),
            ("baove", Role::ProtectionOfficer, "Cán bộ phụ trách bảo vệ"),
        ] {
            let username = format!("{code}.{suffix}");
            let display = format!("{title} — {vi}");
            let account = StaffAccount {
                username: &username,
                display_name: &display,
                password: DEMO_PASSWORD,
                agency: Some(id),
                role,
                totp: Some(DEMO_TOTP_SECRET),
            };
            admin::create_staff(store, &st.secret, &account, params, now).await?;
            add(username, role, Some(code));
        }
    }
    for (username, role, display) in [
        ("admin", Role::Admin, "Quản trị hệ thống"),
        ("giamsat", Role::Overseer, "Giám sát, Thanh tra Thành phố"),
        ("kiemtoan", Role::Auditor, "Kiểm tra nhật ký"),
    ] {
        let account = StaffAccount {
            username,
            display_name: display,
            password: DEMO_PASSWORD,
            agency: None,
            role,
            totp: None,
        };
        admin::create_staff(store, &st.secret, &account, params, now).await?;
        add(username.to_owned(), role, None);
    }
    // The identity custodians: the inspectorate's, a Fatherland Front observer and the
    // procuracy's liaison; any two of the three release a reporter's identity.
    let mut custodians = Vec::new();
    for (username, agency, display) in [
        (
            "giamho.thanhtra",
            Some("tttp"),
            "Người giữ khóa danh tính — Thanh tra Thành phố",
        ),
        (
            "giamho.mttq",
            Some("mttq"),
            "Người giữ khóa danh tính — Ủy ban MTTQ Thành phố",
        ),
        (
            "giamho.vienkiemsat",
            None,
            "Người giữ khóa danh tính — Viện kiểm sát nhân dân Thành phố",
        ),
    ] {
        let agency_id = agency.and_then(|code| {
            agencies
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, id): &(String, AgencyId)| *id)
        });
        let account = StaffAccount {
            username,
            display_name: display,
            password: DEMO_PASSWORD,
            agency: agency_id,
            role: Role::Custodian,
            totp: Some(DEMO_TOTP_SECRET),
        };
        admin::create_staff(store, &st.secret, &account, params, now).await?;
        add(
            username.to_owned(),
            Role::Custodian,
            agency.map(str::to_owned).as_deref(),
        );
        custodians.push(username.to_owned());
    }
    crate::identity::set_custodians(store, &custodians, 2, now).await?;
    // A partner officer of the city's Fatherland Front committee: registers reports for people
    // who come to the Front and forwards them to the competent agency, then follows them.
    let front = agencies
        .iter()
        .find(|(c, _)| c == "mttq")
        .map(|(_, id): &(String, AgencyId)| *id);
    let partner = StaffAccount {
        username: "mttq.doitac",
        display_name: "Cán bộ tiếp nhận, chuyển phản ánh — Ủy ban MTTQ Thành phố",
        password: DEMO_PASSWORD,
        agency: front,
        role: Role::PartnerOfficer,
        totp: None,
    };
    admin::create_staff(store, &st.secret, &partner, params, now).await?;
    add("mttq.doitac".to_owned(), Role::PartnerOfficer, Some("mttq"));
    // An observer for the Front: sees every agency's figures, never a case.
    let observer = StaffAccount {
        username: "mttq.giamsat",
        display_name: "Giám sát viên — Ủy ban MTTQ Thành phố",
        password: DEMO_PASSWORD,
        agency: front,
        role: Role::FrontObserver,
        totp: None,
    };
    admin::create_staff(store, &st.secret, &observer, params, now).await?;
    add("mttq.giamsat".to_owned(), Role::FrontObserver, Some("mttq"));
    let city = DemoCity {
        recovery,
        logins,
        agencies,
        receipts: Vec::new(),
    };
    // The wards and the department answer to the City Inspectorate in the demo: a report against
    // a ward's chairman goes there.
    if let Some(tttp) = city.agency("tttp") {
        for code in ["sxd", "hoankiem", "caugiay"] {
            if let Some(a) = city.agency(code) {
                admin::set_superior(store, a, Some(tttp), now).await?;
            }
        }
    }
    if let Some(default) = city.agency("tttp") {
        store
            .set_default_agency(
                default,
                &AuditEntry::new(now, "cli", "organisation.default_agency", None),
            )
            .await?;
    }
    let mut city = city;
    for (category, agency, what, when, where_) in SAMPLES {
        let raw = RawReport {
            category: category.into(),
            agency: city
                .agency(agency)
                .map(|a| a.0.to_string())
                .unwrap_or_default(),
            what: what.into(),
            when: when.into(),
            where_: where_.into(),
            identity: "anonymous".into(),
            ..Default::default()
        };
        let done = crate::intake::seed_report(st, raw).await?;
        city.receipts.push((done.reference, done.receipt.expose()));
    }
    Ok(city)
}
