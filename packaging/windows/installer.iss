; Inno Setup 6 script: Windows installer for Migration Discovery.
;
; Built by `python packaging/build.py` on Windows when ISCC.exe is found, or by hand after it:
;   iscc /DAppVersion=0.1.0 /DBundleDir=C:\src\md\packaging\dist\migration-discovery ^
;        /DOutputDir=C:\src\md\packaging\dist /DOutputBaseFilename=migration-discovery-0.1.0-setup ^
;        packaging\windows\installer.iss
;
; Installs per user by default (no administrator rights needed: consultants often lack them on
; client laptops) into %LOCALAPPDATA%\Programs\Migration Discovery; "Install for all users" in the
; first dialog installs into Program Files instead (needs elevation).
; User data (the embedded database, settings) lives in the user's data directory, not in the
; installation folder, and is kept on uninstall.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\dist\migration-discovery"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif
#ifndef OutputBaseFilename
  #define OutputBaseFilename "migration-discovery-" + AppVersion + "-setup"
#endif

#define AppName "Migration Discovery"
#define AppExeName "migration-discovery.exe"
#define AppPublisher "Migration Discovery"

[Setup]
; A fixed AppId makes upgrades replace the previous version (never change it once released).
AppId={{6F1C2B7E-4D1A-4F3B-9C55-2E8B7A1D9F40}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename={#OutputBaseFilename}
SetupIconFile=..\assets\migration-discovery.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
WizardStyle=modern
; Close a running copy before replacing its files (the embedded server stops with it).
CloseApplications=yes
RestartApplications=no
; Authenticode: configure a sign tool in the IDE or with /S"signtool=..." and uncomment:
; SignTool=signtool
; SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Files of an older version that the new one no longer ships must not linger (stale modules and
; PostgreSQL files would mix with the new ones).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\{#AppExeName}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#BundleDir}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
