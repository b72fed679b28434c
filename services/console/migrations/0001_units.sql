-- The units directory (单位目录): every organ, its place in the hierarchy, versioned with history.
CREATE TABLE units (
    code            TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{6}-[A-Z0-9]{1,16}$'),
    division_code   TEXT NOT NULL CHECK (division_code ~ '^[0-9]{6}$'),
    name            TEXT NOT NULL,
    short_name      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('petition_bureau', 'government', 'department',
                        'township_government', 'village_committee', 'court', 'procuratorate',
                        'discipline_inspection', 'peoples_congress', 'cppcc',
                        'mediation_organization', 'external')),
    level           TEXT NOT NULL CHECK (level IN ('village', 'township', 'county', 'city', 'province')),
    -- 上一级行政机关
    parent_code     TEXT REFERENCES units (code),
    -- 主管(监督)机关
    supervisor_code TEXT REFERENCES units (code),
    -- 所属乡镇
    township_code   TEXT REFERENCES units (code),
    active          BOOLEAN NOT NULL DEFAULT true,
    remarks         TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by      TEXT NOT NULL DEFAULT 'system:migration',
    CHECK (division_code = split_part(code, '-', 1)),
    CHECK (parent_code IS DISTINCT FROM code)
);
CREATE INDEX units_parent ON units (parent_code);
CREATE INDEX units_kind_level ON units (kind, level);

-- Every version of every unit (单位变更历史), the whole record as published.
CREATE TABLE unit_history (
    code        TEXT NOT NULL REFERENCES units (code),
    version     BIGINT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('created', 'updated', 'retired')),
    record      JSONB NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);

-- Seed: the organs of 襄垣县 (division 140423) and the outside organs it deals with most. Editable
-- data: administrators change it through the API. Every unit code already used by the
-- repository's seeds and tests is here, so existing data stays valid (see remarks).
INSERT INTO units (code, division_code, name, short_name, kind, level, parent_code, supervisor_code, township_code, remarks) VALUES
-- 外部机关 (city level)
('140400-ZF',  '140400', '长治市人民政府', '长治市政府', 'external', 'city', NULL, NULL, NULL, NULL),
('140400-XFJ', '140400', '长治市信访局', '市信访局', 'external', 'city', '140400-ZF', NULL, NULL, NULL),
-- 县级机关
('140423-ZF',  '140423', '襄垣县人民政府', '县政府', 'government', 'county', '140400-ZF', NULL, NULL, NULL),
('140423-XFJ', '140423', '襄垣县信访局', '县信访局', 'petition_bureau', 'county', '140423-ZF', '140400-XFJ', NULL, NULL),
('140423-ZJJ', '140423', '襄垣县住房和城乡建设局', '县住建局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-RSJ', '140423', '襄垣县人力资源和社会保障局', '县人社局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-NYJ', '140423', '襄垣县农业农村局', '县农业农村局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-ZRJ', '140423', '襄垣县自然资源局', '县自然资源局', 'department', 'county', '140423-ZF', NULL, NULL,
    '受理服务默认分流规则使用的代码；与 140423-ZRZYJ 为同一机关，待统一'),
('140423-ZRZYJ', '140423', '襄垣县自然资源局', '县自然资源局', 'department', 'county', '140423-ZF', NULL, NULL,
    '端到端测试使用的代码；与 140423-ZRJ 为同一机关，待统一'),
('140423-GAJ', '140423', '襄垣县公安局', '县公安局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-SFJ', '140423', '襄垣县司法局', '县司法局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-JYJ', '140423', '襄垣县教育局', '县教育局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-WJJ', '140423', '襄垣县卫生健康局', '县卫健局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-SCJGJ', '140423', '襄垣县市场监督管理局', '县市场监管局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-STHJJ', '140423', '长治市生态环境局襄垣分局', '生态环境襄垣分局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-JTJ', '140423', '襄垣县交通运输局', '县交通运输局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-MZJ', '140423', '襄垣县民政局', '县民政局', 'department', 'county', '140423-ZF', NULL, NULL, NULL),
('140423-LDJC', '140423', '襄垣县劳动保障监察大队', '劳动监察大队', 'department', 'county', '140423-RSJ', '140423-RSJ', NULL, NULL),
('140423-FY',  '140423', '襄垣县人民法院', '县法院', 'court', 'county', NULL, NULL, NULL, NULL),
('140423-JCY', '140423', '襄垣县人民检察院', '县检察院', 'procuratorate', 'county', NULL, NULL, NULL, NULL),
('140423-JWJW', '140423', '中共襄垣县纪律检查委员会、襄垣县监察委员会', '县纪委监委', 'discipline_inspection', 'county', NULL, NULL, NULL, NULL),
('140423-RD',  '140423', '襄垣县人民代表大会常务委员会', '县人大常委会', 'peoples_congress', 'county', NULL, NULL, NULL, NULL),
('140423-ZX',  '140423', '中国人民政治协商会议襄垣县委员会', '县政协', 'cppcc', 'county', NULL, NULL, NULL, NULL),
('140423-RMTJ', '140423', '襄垣县人民调解委员会', '县人民调解委员会', 'mediation_organization', 'county', NULL, '140423-SFJ', NULL, NULL),
('140423-XYGS', '140423', '襄垣县建筑工程公司', '建筑工程公司', 'external', 'county', NULL, NULL, NULL,
    '受理服务测试中作为被反映单位的代码（企业，非行政机关），核实后修改或撤销'),
-- 乡镇政府
('140423-GHZ', '140423', '襄垣县古韩镇人民政府', '古韩镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-WQZ', '140423', '襄垣县王桥镇人民政府', '王桥镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-HBZ', '140423', '襄垣县侯堡镇人民政府', '侯堡镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-XDZ', '140423', '襄垣县夏店镇人民政府', '夏店镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-STZ', '140423', '襄垣县虒亭镇人民政府', '虒亭镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-XYZ', '140423', '襄垣县西营镇人民政府', '西营镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-WCZ', '140423', '襄垣县王村镇人民政府', '王村镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-XLZ', '140423', '襄垣县下良镇人民政府', '下良镇', 'township_government', 'township', '140423-ZF', NULL, NULL, NULL),
('140423-SFX', '140423', '襄垣县善福乡人民政府', '善福乡', 'township_government', 'township', '140423-ZF', NULL, NULL,
    '乡镇建制以民政部门最新区划为准（近年部分乡已撤乡设镇或合并），请核对'),
('140423-BDX', '140423', '襄垣县北底乡人民政府', '北底乡', 'township_government', 'township', '140423-ZF', NULL, NULL,
    '乡镇建制以民政部门最新区划为准，请核对'),
('140423-SMX', '140423', '襄垣县上马乡人民政府', '上马乡', 'township_government', 'township', '140423-ZF', NULL, NULL,
    '乡镇建制以民政部门最新区划为准，请核对'),
('140423-CGZ', '140423', '城关镇人民政府', '城关镇', 'township_government', 'township', '140423-ZF', NULL, NULL,
    '受理服务测试使用的代码；襄垣县现无城关镇建制（县城所在镇为古韩镇），核实后撤销');

-- 村(居)委会: a few, to be completed by administrators.
INSERT INTO units (code, division_code, name, short_name, kind, level, parent_code, supervisor_code, township_code, remarks) VALUES
('140423-GHZDG', '140423', '古韩镇东关村民委员会', '东关村', 'village_committee', 'village', '140423-GHZ', NULL, '140423-GHZ', '示例，按实际名称核对'),
('140423-GHZXG', '140423', '古韩镇西关村民委员会', '西关村', 'village_committee', 'village', '140423-GHZ', NULL, '140423-GHZ', '示例，按实际名称核对'),
('140423-HBZHB', '140423', '侯堡镇侯堡村民委员会', '侯堡村', 'village_committee', 'village', '140423-HBZ', NULL, '140423-HBZ', '示例，按实际名称核对');

INSERT INTO unit_history (code, version, change, record, changed_by)
SELECT code, version, 'created',
       jsonb_build_object('code', code, 'division_code', division_code, 'name', name,
                          'short_name', short_name, 'kind', kind, 'level', level,
                          'parent_code', parent_code, 'supervisor_code', supervisor_code,
                          'township_code', township_code, 'active', active, 'version', version),
       'system:migration'
FROM units;
